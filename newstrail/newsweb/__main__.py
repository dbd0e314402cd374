"""``python -m newstrail.newsweb [--seed N] [--scale N] [--seeds FILE]``: serve the
offline news web in the foreground and print where each site lives."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Sequence

from ._build import build_web
from ._model import default_seed_articles, load_seed_articles
from ._server import NewsWebServer


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newstrail.newsweb", description="Serve the offline news web."
    )
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--scale", type=int, default=1, help="article count multiplier")
    parser.add_argument(
        "--seeds", metavar="TOML", help="seed collection file (default: seeds/iraq-us-troops.toml)"
    )
    args = parser.parse_args(argv)
    seeds = load_seed_articles(args.seeds) if args.seeds else default_seed_articles()
    web = build_web(seeds, seed=args.seed, scale=args.scale)
    with NewsWebServer(web) as server:
        width = max(len(site.name) for site in web.sites.values())
        for key, site in web.sites.items():
            print(f"{site.name:<{width}}  {server.base_urls[key]}/")
        counts = web.label_counts()
        print(
            f"\n{len(web.articles)} articles: " + ", ".join(f"{n} {k}" for k, n in counts.items())
        )
        print(
            f"{web.page_count()} pages, {len(server.on_topic_stories)} on-topic stories; "
            "traps: " + ", ".join(server.trap_sources)
        )
        print("Seed pages:")
        for url in server.seed_urls:
            print(f"  {url}")
        print("\nServing; press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
