"""Line filters: the boilerplate lines trafilatura keeps, dropped by wording,
position, repetition and the markup's hints."""

from __future__ import annotations

import re

from newstrail.extract.dates import _VISIBLE_DATES, _dates_in
from newstrail.extract.hints import _ATTRIBUTION, _DASHES, _TRAILING_ATTRIBUTION, _Hints
from newstrail.extract.text import _key

# --- Line filters -----------------------------------------------------------------

_SHORT = 200  # longer lines are body text whatever their wording

# Whole lines that are page furniture, whatever the markup around them.
_BOILERPLATE_LINE = re.compile(
    r"""^(?:
        skip\s+to\s+(?:the\s+)?(?:main\s+)?(?:content|navigation|search|footer|menu|article)
        |jump\s+to\s+(?:the\s+)?(?:main\s+)?(?:content|navigation|search)
        |type\s+(?:to|and\s+(?:hit|press)\s+enter\s+to)\s+search|search\s+for:?
        |press\s+enter\s+to\s+search|start\s+typing\s+to\s+search
        |toggle\s+(?:navigation|menu|search)|(?:open|close)\s+(?:the\s+)?(?:menu|search|navigation)
        |leave\s+a\s+(?:comment|reply)(?:\s+cancel\s+reply)?|cancel\s+reply|post\s+(?:a\s+)?comment
        |add\s+(?:a\s+)?comment|join\s+the\s+(?:conversation|discussion)
        |your\s+email\s+address\s+will\s+not\s+be\s+published.*|required\s+fields\s+are\s+marked.*
        |save\s+my\s+name,?\s+email,?\s+and\s+website.*|notify\s+me\s+of\s+(?:new|follow-up).*
        |you\s+must\s+be\s+logged\s+in\s+to\s+post\s+a\s+comment.*|comments\s+are\s+closed.*
        |\d+\s+comments?|no\s+comments(?:\s+yet)?|be\s+the\s+first\s+to\s+comment.*
        |(?:read|view|see)\s+more(?:\s+(?:stories|articles|news))?|continue\s+reading
        |read\s+(?:the\s+)?(?:full|rest\s+of\s+the)\s+(?:story|article|post)
        |share\s+(?:this|on\s+\w+|via\s+\w+|(?:this|the)\s+(?:article|story|post|page))?
        |click\s+to\s+(?:share|email|print)\b.*|tweet|email|print|copy\s+link
        |(?:sign\s+up|subscribe)\s+(?:(?:now\s+)?(?:to|for)\s+)?(?:our|the|my)?\s*[\w'\u2019.\s]{0,40}newsletters?.*
        |stay\s+(?:informed|updated|up\s+to\s+date|in\s+the\s+know)\s+with\s+.{0,60}newsletters?
        |sign\s+up\s+(?:to|for)\s+(?:get|receive)\s+the\s+latest\b.*
        |(?:get|receive)\s+(?:the\s+latest|our)\b.{0,80}\b(?:inbox|newsletters?)\b.*
        |enter\s+your\s+email(?:\s+address)?.*|by\s+(?:entering|submitting|providing)\s+your\s+email.*
        |thanks?\s+(?:you\s+)?for\s+(?:subscribing|signing\s+up).*|you(?:'|\u2019)re\s+(?:now\s+)?subscribed.*
        |advertisement|sponsored\s+content|\d+\s+min(?:ute)?s?\s+read|learn\s+more
        |you\s+(?:might|may)\s+also\s+(?:like|enjoy|be\s+interested\s+in)
        |(?:related|recommended|more)\s+(?:articles|posts|stories|reading|coverage)
        |most\s+(?:read|popular|viewed)|trending\s+now|recommended\s+for\s+you
        |order\s+reprints|print\s+(?:this\s+)?article|this\s+article\s+has\s+been\s+sent\s+to.*
        |this\s+copy\s+is\s+for\s+your\s+personal,?\s+non-commercial\s+use\b.*
        |an\s+error\s+(?:has\s+)?occurred.{0,40}|please\s+try\s+again\s+later
        |tags?(?:\s*:.*)?|tagged\s+(?:with|in|as)\s*:.*|filed\s+under\s*:.*|related\s+topics
        |comments?|tell\s+us\s+what\s+you\s+think.*|like\s+this\s+(?:story|article|post)\?.*
        |subscribe\s+to\s+.{0,40}\b(?:youtube|channel|podcast)\b.*
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Lines that are data, not prose: a machine timestamp, a bare URL (markup leaking
# into the text from hidden fields or microdata): the page's own URL, an image URL.
# Other bare URLs are kept: articles list their sources that way.
_DATA_LINE = re.compile(
    r"^(?:https?://\S+\.(?:jpe?g|png|gif|webp|svg)(?:\?\S*)?"
    r"|(?:19|20)\d\d-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)$",
    re.IGNORECASE,
)
# Headings opening a list of links to other articles.
_RELATED_HEADING = re.compile(
    r"""^(?:you\s+(?:might|may)\s+also\s+(?:like|enjoy)
    |related(?:\s+(?:articles|posts|stories|coverage|content|reading|news))?
    |(?:more|recommended)\s+(?:articles|posts|stories|reading)
    |read\s+next|most\s+(?:read|popular|viewed)|trending\s+now|don'?t\s+miss)\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
_TAGS_HEADING = re.compile(r"^(?:tags?|tagged(?:\s+(?:with|in|as))?|filed\s+under)\W*$", re.I)
_TOC_HEADING = re.compile(
    r"^(?:table\s+of\s+contents?|contents|in\s+this\s+(?:article|post|guide|story)|on\s+this\s+page"
    r"|jump\s+to(?:\s+section)?|quick\s+links|article\s+contents)\W*$",
    re.IGNORECASE,
)
_READ_MORE = re.compile(r"^(?:(?:read|view|see)\s+more|continue\s+reading)\W*$", re.IGNORECASE)
_READ_MORE_TAIL = re.compile(r"\s*(?:read|view|see)\s+more\s*[»\u203a→>…]+\s*$", re.IGNORECASE)
_TEASER_PREFIX = re.compile(
    r"^(?:read\s+more|read\s+also|also\s+read|related|see\s+also|more\s+on\s+this)\s*[:»\u203a→|-]\s*(?=\S)",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^by\s+\S.{0,75}$", re.IGNORECASE)
# A line of timestamps: "Updated at 1:23 p.m.", "Published on: February 14, 2025",
# "Posted Jan. 3, 2019 at 3:08 PM | Updated Nov. 22, 2026 at 10:26 AM".
_STAMP = re.compile(r"^(?:-\s+)?(?:last\s+)?(?:updated|published|posted|modified)\b", re.I)
_TIME = re.compile(r"\b\d{1,2}:\d\d(?::\d\d)?\s*(?:[ap]\.?m\.?)?(?:\s+[A-Z]{2,4}\b)?", re.I)
_STAMP_WORDS = re.compile(
    r"\b(?:last|updated|published|posted|modified|on|at|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*)\b",
    re.I,
)
_MAX_STAMP = 120
_MAX_DATE_LINE = 40
# Newsletter prompts in a publisher's own words: "Sign up for The Daily Brief today to
# get the free newsletter", "The best of Example, delivered to your inbox every morning".
_NEWSLETTER = re.compile(
    r"\b(?:sign\s+up|subscribe|join)\b.{0,80}\bnewsletters?\b|\bdelivered\s+(?:to|in|into)\s+your\s+inbox\b",
    re.IGNORECASE,
)
_MAX_PROMPT = 200
_SENTENCE_END = re.compile(r"[.!?…:;][\"'”\u2019)\]]*$")
_PUBLISHER_WORDS = re.compile(
    r"\b(?:republish\w*|independent|coverage|journalism|subscribe|support\s+us|newsroom"
    r"|all\s+rights\s+reserved|copyright|learn\s+more|non-?profit)\b",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)|copyright\b).{0,150}$"
    # The legal notice and the how-to-cite box of science news sites.
    r"|^this\s+(?:document|article|material|content)\s+is\s+(?:subject\s+to|protected\s+by)"
    r"\s+copyright\b.{0,300}$|^citation\s*:.{0,300}\bretrieved\b.{0,60}\bfrom\s+https?://\S+$",
    re.IGNORECASE,
)
_SOCIAL = (
    r"(?:twitter|x|facebook|instagram|linkedin|youtube|tiktok|threads|bluesky|mastodon|telegram)"
)
# Contact and social lines closing an article: "Write to Jane at jane@example.com",
# "Follow us on Twitter and Facebook", "Follow her @jane".
_CONTACT = re.compile(
    rf"\bfollow\b.{{0,60}}\bon\s+{_SOCIAL}\b|\bfollow\s+(?:us|him|her|me|them)\s+@\w"
    r"|^[\w.+-]+@[\w-]+\.[\w.]+$|\b(?:email|e-mail|write\s+to|contact|reached\s+at)\b.{0,60}@",
    re.IGNORECASE,
)
_MAX_CONTACT = 250  # characters: longer lines are prose that happens to mention an address
_BIO_START = re.compile(r"^(?:he|she|they)\s+(?:is|was|has|writes|covers)\b", re.IGNORECASE)
_MIN_QUOTE_WORDS = 8  # pull quotes are sentences; shorter repeats are headings
_MIN_REPEAT_WORDS = 5
_HEAD_BLOCKS = 4  # the repeated headline and the byline sit among the first blocks
_TAIL_BLOCKS = 6  # author bio and publisher blurb sit among the last blocks


def _filter_lines(
    lines: list[str], hints: _Hints, title: str | None, author: str | None, sitename: str | None
) -> list[str | None]:
    """Say why each line is boilerplate (a short reason), or None for lines to keep."""
    keys = [_key(line) for line in lines]
    reasons: list[str | None] = [None] * len(lines)
    _mark_pull_quotes(lines, keys, hints, reasons)
    for i, line in enumerate(lines):
        if not reasons[i]:
            reasons[i] = _line_reason(line.strip(), keys[i], hints)
    _mark_read_more(lines, keys, hints, reasons)
    _mark_link_lists(lines, keys, hints, reasons)
    # The headline repeated above the text, and the byline there.
    title_key = _key(title or "")
    for i in [i for i, reason in enumerate(reasons) if reason is None][:_HEAD_BLOCKS]:
        if title_key and keys[i] == title_key:
            reasons[i] = "title"
        elif _BYLINE.match(lines[i]):
            reasons[i] = "byline"
        elif len(lines[i]) <= _MAX_DATE_LINE and keys[i].count(" ") < 4 and _dates_in(lines[i]):
            reasons[i] = "date"  # the page's date alone on a line by the headline
    _mark_page_end(lines, keys, reasons, author, sitename)
    _mark_repeats(lines, keys, reasons)
    return reasons


def _mark_repeats(lines: list[str], keys: list[str], reasons: list[str | None]) -> None:
    """A sentence-long line printed twice is a template repeating itself (a headline in
    a share box, a promo shown twice, the whole article printed twice); the first copy
    stays. A short line without a sentence's end repeated on its own is structure
    (the same subheading or table row for every product reviewed), unless a repeated
    neighbour shows a repeated block."""
    seen: set[str] = set()
    repeated = [False] * len(lines)
    for i, key in enumerate(keys):
        if reasons[i] is None:
            repeated[i] = key in seen and key.count(" ") + 1 >= _MIN_REPEAT_WORDS
            seen.add(key)
    for i, line in enumerate(lines):
        if not repeated[i]:
            continue
        sentence = keys[i].count(" ") + 1 >= _MIN_QUOTE_WORDS or _SENTENCE_END.search(line)
        in_block = (i > 0 and repeated[i - 1]) or (i + 1 < len(lines) and repeated[i + 1])
        if sentence or in_block:
            reasons[i] = "repeat"


def _is_timestamp(line: str) -> bool:
    """Whether a line holds dates and times and the words introducing them, nothing else."""
    if len(line) > _MAX_STAMP or not _STAMP.match(line):
        return False
    rest = _TIME.sub(" ", line)
    for pattern, _ in _VISIBLE_DATES:
        rest = pattern.sub(" ", rest)
    if rest == line:
        return False  # neither a date nor a time
    return not re.search(r"\w", _STAMP_WORDS.sub(" ", rest))


def _is_shouting(line: str) -> bool:
    """All capitals, ten letters or more."""
    return line.isupper() and sum(char.isalpha() for char in line) >= 10


def _line_reason(line: str, key: str, hints: _Hints) -> str | None:
    if not key:
        # Symbols only ("»", "|", "•"): separators and icons.
        return "symbols" if len(line) < 4 else None
    if _DATA_LINE.match(line) or line in hints.page_urls:
        return "data"
    short = len(line) <= _SHORT
    if _is_timestamp(line):
        return "data"
    lowered = line.lower()
    prompt = "newsletter" in lowered or "inbox" in lowered  # cheap test before the regex
    if prompt and len(line) <= _MAX_PROMPT and _NEWSLETTER.search(line):
        return "newsletter"
    if short and _BOILERPLATE_LINE.match(line.removeprefix("- ")):
        return "phrase"
    if key in hints.teasers:
        return "teaser"
    # Markup-based rules yield when the same text also stands outside every
    # boilerplate container (a heading repeated in a sidebar's table of contents).
    if key in hints.boilerplate and key not in hints.body:
        return "markup"
    if short and _is_shouting(line) and key.count(" ") >= 2 and key in hints.link_paragraphs:
        return "teaser"  # "CLICK HERE TO GET THE APP", "STAR OPENS UP ABOUT ...": promos
    if short and (_TEASER_PREFIX.match(line) or _READ_MORE_TAIL.search(line)):
        # In the body's own paragraphs too, when what follows the prefix is a link.
        rest = _key(_TEASER_PREFIX.sub("", line, count=1))
        return None if key in hints.body and rest not in hints.links else "teaser"
    return None


def _mark_pull_quotes(
    lines: list[str], keys: list[str], hints: _Hints, reasons: list[str | None]
) -> None:
    """Pull quotes: quoted text repeating the body, and their "- Name" attribution.

    Both conditions must hold. Repetition alone is legitimate (an interview's
    recurring question, a recipe's recurring step), and so are quotes (blockquotes
    hold real quotes and embedded posts): the text must come from a quote element
    (blockquote, aside, q, a quote-named class) or carry an attribution.
    """
    quote_keys: list[str] = []
    attributed: list[bool] = []
    for i, line in enumerate(lines):
        match = _TRAILING_ATTRIBUTION.match(line)
        quote_keys.append(_key(match.group(1)) if match else keys[i])
        attributed.append(match is not None or _next_is_attribution(lines, i))
    for i, key in enumerate(quote_keys):
        if key.count(" ") + 1 < _MIN_QUOTE_WORDS or len(lines[i]) > 600 or lines[i][0] in _DASHES:
            continue
        if key not in hints.quotes and not attributed[i]:
            continue
        inside_longer = any(
            key in other and len(other) > len(key) for j, other in enumerate(keys) if j != i
        )
        # Of equal lines drop the attributed one, or else every copy after the first.
        earlier_copy = any(keys[j] == key and not attributed[j] for j in range(i))
        equal_elsewhere = any(keys[j] == key for j in range(len(keys)) if j != i)
        if inside_longer or earlier_copy or (attributed[i] and equal_elsewhere):
            reasons[i] = "pull-quote"
            if _next_is_attribution(lines, i):
                reasons[i + 1] = "pull-quote"


def _next_is_attribution(lines: list[str], i: int) -> bool:
    return i + 1 < len(lines) and len(lines[i + 1]) < 100 and bool(_ATTRIBUTION.match(lines[i + 1]))


def _mark_read_more(
    lines: list[str], keys: list[str], hints: _Hints, reasons: list[str | None]
) -> None:
    """A "Read more" marker and the teaser headline before it."""
    for i, line in enumerate(lines):
        if not _READ_MORE.match(line.strip()):
            continue
        reasons[i] = "teaser"
        j = i - 1
        while j >= 0 and reasons[j]:
            j -= 1
        if j < 0 or len(lines[j]) > _SHORT:
            continue
        headline = not _SENTENCE_END.search(lines[j]) and keys[j] not in hints.body
        if keys[j] in hints.links or headline:
            reasons[j] = "teaser"


def _mark_link_lists(
    lines: list[str], keys: list[str], hints: _Hints, reasons: list[str | None]
) -> None:
    """Related-articles boxes, tag lists and tables of contents: heading plus entries."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if len(stripped) <= 80 and _RELATED_HEADING.match(stripped):
            reasons[i] = "related"
            j = i + 1
            while j < len(lines) and len(lines[j]) <= _SHORT and keys[j] in hints.links:
                reasons[j] = "related"
                j += 1
        elif _TAGS_HEADING.match(stripped) and i + 1 < len(lines):
            # The tags under the heading: one line of links or of comma-separated words.
            nxt = lines[i + 1]
            if len(nxt) <= 300 and (keys[i + 1] in hints.links or nxt.count(",") >= 2):
                reasons[i + 1] = "tags"
        elif len(stripped) <= 40 and _TOC_HEADING.match(stripped):
            reasons[i] = "toc"
            j = i + 1
            # Entries are links, or repeat a heading further down.
            while j < len(lines) and len(lines[j]) <= 150:
                if keys[j] not in hints.links and keys[j] not in keys[j + 1 :]:
                    break
                reasons[j] = "toc"
                j += 1


def _mark_page_end(
    lines: list[str],
    keys: list[str],
    reasons: list[str | None],
    author: str | None,
    sitename: str | None,
) -> None:
    """Author bio, publisher blurb, copyright and contact lines: they close the page, so
    look at the last blocks."""
    authors = {_key(name) for name in re.split(r",\s*|\s+and\s+|\s*&\s*", author or "")} - {""}
    # A bio opens with the person's name or first name: "Jane (Doe) is a reporter".
    persons = {name for name in authors if " " in name}
    bio_openings = tuple(
        f"{subject} {verb} "
        for subject in persons | {name.split(" ")[0] for name in persons}
        for verb in ("is", "was", "has", "writes", "covers", "joined")
    )
    headings = {f"about {name}" for name in authors} | {"about the author", "about the authors"}
    site_key = _key(sitename or "")
    tail = [i for i, reason in enumerate(reasons) if reason is None][-_TAIL_BLOCKS:]
    for pos, i in enumerate(tail):
        key = keys[i]
        if key in authors or key in headings:
            reasons[i] = "author-bio"
            if pos + 1 < len(tail):
                # The bio under the name: "Jane is ...", "She has ...".
                nxt = tail[pos + 1]
                if keys[nxt].startswith(bio_openings) or _BIO_START.match(lines[nxt]):
                    reasons[nxt] = "author-bio"
        elif key.startswith(bio_openings):
            # Persons only: a one-word author is usually the organisation, whose
            # self-description may be the content itself.
            reasons[i] = "author-bio"
        elif (
            site_key
            and key.startswith(f"{site_key} ")
            and pos >= len(tail) - 3
            and _PUBLISHER_WORDS.search(lines[i])
        ):
            reasons[i] = "publisher"
        elif pos >= len(tail) - 2 and _COPYRIGHT.match(lines[i].strip()):
            reasons[i] = "copyright"
        elif pos >= len(tail) - 3 and len(lines[i]) <= _MAX_CONTACT and _CONTACT.search(lines[i]):
            reasons[i] = "contact"
