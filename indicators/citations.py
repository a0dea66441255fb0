"""How to cite a chart or a figure, in the active language: APA 7, BibTeX and RIS.

Pure functions of presented data (``comparison``, ``pages``): the page's permalink and the
access date are passed in, so nothing here knows of HTTP or of today's date.

- A chart: the dashboard is the author, the data's last change the date, the chart's title
  (with its areas and years) the title, the permalink and the access date.
- A single figure: first the document it was taken from (thesis, article, report), with where
  its quote is (the quote's address on the source's page: the seed documents have no pages or
  public copies to point to), then the dashboard's record of the figure.

BibTeX is written for biblatex (``@online``, ``urldate``), which reads UTF-8: Persian and Arabic
titles are kept as they are, with BibTeX's special characters escaped. Entry keys are ASCII.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .share import title_of, years_label
from .text import current_lang, list_separator, local_digits

SITE = "SMEdash"  # the dashboard's name, the author of its charts (a name, not translated)
QUOTE_EXCERPT = 160  # characters of a quote repeated in a citation's note

# Source kinds (models.Source.Kind) as BibTeX entry types and RIS reference types.
BIBTEX_TYPES = {"thesis": "thesis", "article": "article", "news_article": "article", "report": "report"}
RIS_TYPES = {"thesis": "THES", "article": "JOUR", "news_article": "NEWS", "report": "RPRT"}
# biblatex's language names (babel's), for hyphenation and the reference's punctuation.
BIBTEX_LANGUAGES = {"en": "english", "ar": "arabic", "fa": "persian"}


@dataclass(frozen=True)
class Citation:
    """One thing cited, in the three formats: texts to show and copy."""

    apa: str
    bibtex: str
    ris: str


# --- what is cited ----------------------------------------------------------------------------------


def chart_title(data):
    """The chart's title with what it shows: the indicator (or area), its areas (or indicators)
    and years, in the active language."""
    figures = list(data.get("figures") or [])
    title = title_of(data)
    if data.get("kind") == "compare" and figures:
        names = list_separator().join(dict.fromkeys(f["area"]["name"] for f in figures))
        return _("%(title)s: %(areas)s (%(years)s)") % {"title": title, "areas": names, "years": years_label(figures)}
    if figures:
        return _("%(title)s (%(years)s)") % {"title": title, "years": years_label(figures)}
    return title


def figure_title(figure):
    """A figure in words: what it is, its value and year (``Iran: more than 98% (1996)``)."""
    what = figure["label"]
    if figure.get("indicator", {}).get("name"):
        what = _("%(indicator)s — %(figure)s") % {"indicator": figure["indicator"]["name"], "figure": what}
    return _("%(figure)s: %(value)s (%(year)s)") % {
        "figure": what,
        "value": figure["value_display"],
        "year": figure["year_display"],
    }


# --- dates --------------------------------------------------------------------------------------------


def _date(day, long=True):
    """A date as a reference writes it, in the reader's digits: ``December 2, 2026``."""
    if long:
        # Translators: a date in a reference list (Django's date format): "F j, Y" is "December 2, 2026".
        return local_digits(date_format(day, pgettext("citation date", "F j, Y")))
    return local_digits(str(day.year))


def _published(data_changed):
    """APA's date of a page whose data change: the last change, or n.d. when unknown."""
    if not data_changed:
        return _("n.d.")
    day = date.fromisoformat(data_changed) if isinstance(data_changed, str) else data_changed
    # Translators: the date of a reference in APA style, year first: "2026, November 22".
    return local_digits(date_format(day, pgettext("citation date", "Y, F j")))


# --- APA 7 ------------------------------------------------------------------------------------------------


def _apa_dashboard(title, kind_label, changed, accessed, permalink):
    # Translators: an APA 7 reference to a page of the dashboard. Keep the order; the address is last.
    return _("%(site)s. (%(date)s). %(title)s [%(kind)s]. Retrieved %(accessed)s, from %(url)s") % {
        "site": SITE,
        "date": _published(changed),
        "title": title,
        "kind": kind_label,
        "accessed": _date(accessed),
        "url": permalink,
    }


def _apa_source(figure, source):
    """The document a figure was taken from, and where in the dashboard its quote is."""
    kind = source.get("kind_label")  # only where the page knows it (a source's page)
    if kind:
        text = _("%(title)s [%(kind)s]. (%(date)s).") % {"title": source["title"], "kind": kind, "date": _("n.d.")}
    else:
        text = _("%(title)s. (%(date)s).") % {"title": source["title"], "date": _("n.d.")}
    publisher = (source.get("publisher") or "").strip()
    if publisher:
        text = f"{text} {publisher}."
    return f"{text} {_quote_location(figure, source)}"


def _quote_location(figure, source):
    return _("Quoted: “%(quote)s” (%(url)s)") % {"quote": _excerpt(figure["quote"]), "url": source["quote_url"]}


def _excerpt(quote):
    quote = " ".join((quote or "").split())
    return quote if len(quote) <= QUOTE_EXCERPT else quote[: QUOTE_EXCERPT - 1].rstrip() + "…"


# --- BibTeX --------------------------------------------------------------------------------------------------

_BIBTEX_SPECIAL = re.compile(r"([&%$#_])")


def bibtex_text(text):
    """A field's value for BibTeX: its special characters escaped and braces that would unbalance
    the entry taken out; every other character (Persian, Arabic) kept as it is."""
    text = " ".join(str(text or "").split()).replace("\\", "/").replace("{", "(").replace("}", ")")
    text = text.replace("~", "\\textasciitilde{}").replace("^", "\\textasciicircum{}")
    return _BIBTEX_SPECIAL.sub(r"\\\1", text)


def bibtex_key(*parts):
    """An ASCII key from ``parts``: ``smedash-firm_share-2026``."""
    key = "-".join(re.sub(r"[^A-Za-z0-9_]+", "-", str(part)).strip("-") for part in parts if part)
    return re.sub(r"-{2,}", "-", key) or SITE.lower()


def _bibtex_entry(kind, key, fields):
    lines = [f"@{kind}{{{key},"]
    for name, value in fields:
        if value:
            if name == "url":  # a verbatim field in biblatex: only braces would break it (none survive)
                text = str(value).replace("{", "%7B").replace("}", "%7D")
            elif name == "author":  # a body, not a person: braced whole, so it is not read as a surname
                text = "{" + bibtex_text(value) + "}"
            else:
                text = bibtex_text(value)
            lines.append(f"  {name} = {{{text}}},")
    lines.append("}")
    return "\n".join(lines)


def _bibtex_dashboard(key, title, note, changed, accessed, permalink):
    return _bibtex_entry(
        "online",
        key,
        [
            ("author", SITE),
            ("title", title),
            ("year", changed[:4] if changed else ""),
            ("date", changed or ""),
            ("url", permalink),
            ("urldate", accessed.isoformat()),
            ("note", note),
            ("language", BIBTEX_LANGUAGES.get(current_lang())),
        ],
    )


# --- RIS ------------------------------------------------------------------------------------------------------------


def _ris_record(kind, fields):
    """One RIS record: ``TAG  - value`` lines, ending with ``ER  -``; line breaks in values folded."""
    lines = [f"TY  - {kind}"]
    for tag, value in fields:
        if value:
            lines.append(f"{tag}  - {' '.join(str(value).split())}")
    lines.append("ER  - ")
    return "\r\n".join(lines)


def _ris_dashboard(title, note, changed, accessed, permalink):
    return _ris_record(
        "ELEC",
        [
            ("AU", SITE),
            ("TI", title),
            ("PY", changed[:4] if changed else ""),
            ("DA", changed.replace("-", "/") if changed else ""),
            ("PB", SITE),
            ("UR", permalink),
            ("Y2", accessed.strftime("%Y/%m/%d")),
            ("N1", note),
            ("LA", current_lang()),
        ],
    )


# --- the citations ---------------------------------------------------------------------------------------------


def chart_citation(data, *, permalink, accessed):
    """A chart page (``data``: its presented data) cited at ``permalink`` (absolute), read on
    ``accessed`` (a date)."""
    title = chart_title(data)
    changed = data.get("last_changed")
    kind = _("Interactive chart")
    key = bibtex_key(SITE.lower(), _chart_code(data), changed[:4] if changed else "")
    return Citation(
        apa=_apa_dashboard(title, kind, changed, accessed, permalink),
        bibtex=_bibtex_dashboard(key, title, kind, changed, accessed, permalink),
        ris=_ris_dashboard(title, kind, changed, accessed, permalink) + "\r\n",
    )


def figure_citation(figure, *, source=None, quote_url, permalink, accessed):
    """One figure: the document it comes from (``source``: the figure's own source dict, or the
    source page's fuller one, with kind, publisher), its quote at ``quote_url`` (absolute), then
    the dashboard's record of it at ``permalink``, read on ``accessed``."""
    source = {**figure["source"], **(source or {}), "quote_url": quote_url}
    changed = figure.get("last_changed")
    title = figure_title(figure)
    kind = _("Data set")
    note = _("Figure %(id)s in SMEdash, taken from “%(source)s”") % {
        "id": local_digits(str(figure["id"])),
        "source": source["title"],
    }
    source_key = bibtex_key("source", source.get("identifier", "").split(".")[0])
    source_bibtex = _bibtex_entry(
        BIBTEX_TYPES.get(source.get("kind"), "misc"),
        source_key,
        [
            ("title", source["title"]),
            ("type", source.get("kind_label")),
            ("publisher", source.get("publisher")),
            ("note", _quote_location(figure, source)),
            ("url", quote_url),
            ("language", BIBTEX_LANGUAGES.get(figure.get("quote_lang"))),
        ],
    )
    source_ris = _ris_record(
        RIS_TYPES.get(source.get("kind"), "GEN"),
        [
            ("TI", source["title"]),
            ("PB", source.get("publisher")),
            ("N1", _quote_location(figure, source)),
            ("UR", quote_url),
            ("LA", figure.get("quote_lang")),
        ],
    )
    key = bibtex_key(SITE.lower(), "figure", figure["id"])
    return Citation(
        apa=f"{_apa_source(figure, source)}\n{_apa_dashboard(title, kind, changed, accessed, permalink)}",
        bibtex=f"{source_bibtex}\n\n{_bibtex_dashboard(key, title, note, changed, accessed, permalink)}",
        ris=f"{source_ris}\r\n{_ris_dashboard(title, note, changed, accessed, permalink)}\r\n",
    )


def _chart_code(data):
    if data.get("kind") == "compare":
        return data["indicator"]["code"]
    if data.get("kind") == "area":
        return data["area"]["code"]
    return data.get("kind") or "chart"


def ris_path(page_url, figure_id=None):
    """The RIS download beside a page: ``/fa/compare/firm_share/cite.ris?areas=IRN`` for
    ``/fa/compare/firm_share/?areas=IRN``, with ``figure=`` for one figure."""
    path, _sep, query = page_url.partition("?")
    parts = [part for part in query.split("&") if part and not part.startswith("figure=")]
    if figure_id is not None:
        parts.append(f"figure={figure_id}")
    return f"{path.rstrip('/')}/cite.ris" + (f"?{'&'.join(parts)}" if parts else "")


def file_name(stem, figure_id=None):
    """The RIS file's name (without extension): the page's, and the figure's id."""
    return f"{stem}-figure-{figure_id}" if figure_id is not None else stem
