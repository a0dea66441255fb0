"""Chart SVGs that stand on their own: the page's font written into the file, nothing that runs
or reaches out.

Plotly's SVG (drawn by the server's Chromium, ``indicators.png.draw``) names its font, Vazirmatn,
without holding it: opened on its own, on a machine without that font, Persian and Arabic text
falls back to whatever the viewer has (or to boxes), and since the text was laid out for
Vazirmatn, other glyph widths shift it. So the font goes in, as a ``data:`` URL in an
``@font-face`` rule: the regular and bold weights Plotly uses (woff2, about 50 KB each). Not
subset: that would need fontTools, a dependency for about 80 KB a file.

The figure's texts are escaped before Plotly sees them (``text.escape_plotly``), so Plotly makes
no links of them; all the same, whatever could run or fetch something is taken out here: script
and foreign content, ``on*`` handlers, links and references to anything but the file's own
``#ids``. The SVG is served with a Content-Security-Policy that forbids scripts too
(``image_views``).
"""

import base64
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

from .browser import RenderError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
FONT_DIR = Path(__file__).resolve().parent.parent / "node_modules" / "vazirmatn" / "fonts" / "webfonts"
# The family name the figures use first (text.FONT_FAMILY), and the weights Plotly draws with:
# regular text, and <b> in titles.
FONT_FAMILY = "Vazirmatn"
FONT_FILES = {400: "Vazirmatn-Regular.woff2", 700: "Vazirmatn-Bold.woff2"}

# Elements that run code or show another document: never in a chart image.
FORBIDDEN = {"script", "foreignObject", "iframe", "object", "embed", "audio", "video", "image", "handler"}
REFERENCE_ATTRIBUTES = {"href", f"{{{XLINK_NS}}}href"}
_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE)

ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


@lru_cache(maxsize=1)
def font_face_css():
    """The @font-face rules with the font inside them (read once per process)."""
    rules = []
    for weight, name in FONT_FILES.items():
        try:
            data = base64.b64encode((FONT_DIR / name).read_bytes()).decode("ascii")
        except OSError as error:  # npm packages not installed: the file would read wrongly
            raise RenderError(f"the font {name} is missing: {error}") from error
        rules.append(
            f'@font-face{{font-family:"{FONT_FAMILY}";font-style:normal;font-weight:{weight};'
            f'src:url(data:font/woff2;base64,{data}) format("woff2")}}'
        )
    return "".join(rules)


def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _only_local_urls(value):
    """False when a style or presentation attribute points outside the file (url(http:…))."""
    return all(target.startswith("#") for _quote, target in _URL.findall(value))


def _clean(element):
    """Take out, below ``element``, what could run or fetch something; keep everything drawn."""
    for child in list(element):
        if _local(child.tag) in FORBIDDEN or not isinstance(child.tag, str):
            element.remove(child)
            continue
        for name, value in list(child.attrib.items()):
            local = _local(name).lower()
            if local.startswith("on"):
                del child.attrib[name]
            elif name in REFERENCE_ATTRIBUTES and not value.startswith("#"):
                del child.attrib[name]  # a link Plotly made: its text stays, not the address
            elif "url(" in value.lower() and not _only_local_urls(value):
                del child.attrib[name]
        _clean(child)


def _cleaned_root(svg: bytes):
    """Plotly's SVG parsed, with nothing left that runs or reaches out; raises RenderError when
    ``svg`` is not an SVG document."""
    if b"<!DOCTYPE" in svg or b"<!ENTITY" in svg:  # Chromium's serialiser writes neither
        raise RenderError("the SVG declares entities")
    try:
        # Our own Chromium's serialisation, with entity declarations refused above: nothing for
        # an XML bomb or an external entity to come from (defusedxml is a test-only dependency).
        root = ET.fromstring(svg)  # noqa: S314
    except ET.ParseError as error:
        raise RenderError(f"the browser's SVG does not parse: {error}") from error
    if root.tag != f"{{{SVG_NS}}}svg":
        raise RenderError(f"not an SVG document: {root.tag!r}")
    for name in [name for name in root.attrib if _local(name).lower().startswith("on")]:
        del root.attrib[name]
    _clean(root)
    return root


def self_contained(svg: bytes) -> bytes:
    """Plotly's SVG with the font inside it and nothing that runs or reaches out; raises
    RenderError when ``svg`` is not an SVG document."""
    root = _cleaned_root(svg)
    style = ET.Element(f"{{{SVG_NS}}}style")
    style.text = font_face_css()
    root.insert(0, style)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


# A chart drawn into a page (``indicators.chart_static``) ------------------------------------------

_RGB = re.compile(r"rgb\(\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3})\s*\)")
_LOCAL_REFERENCE = re.compile(r"url\(\s*(['\"]?)#(.*?)\1\s*\)")
# What a chart drawn into a page may hold: the elements plotly.js draws a chart with, and nothing
# else. Inline in HTML, a <style> would style the whole page and an animation could set an
# attribute after this cleaning, so the page's drawing is held to this list (the SVG download,
# a document of its own served with a CSP, keeps the lighter cleaning above).
PAGE_ELEMENTS = {
    "svg", "g", "defs", "clipPath", "mask", "pattern", "linearGradient", "radialGradient", "stop",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan", "use", "a",
}  # fmt: skip
# Attributes that only plotly.js reads back (the text before it was formatted, its math).
_UNUSED_ATTRIBUTES = {"data-unformatted", "data-math"}


def _themed(style):
    """Every rgb() colour of a style as ``var(--chart-rrggbb, #rrggbb)``: the page's stylesheet
    gives the chart's colours their dark counterparts (site.css), as static/js/chart.js does for
    plotly.js."""

    def colour(match):
        hex_colour = "".join(f"{min(int(part), 255):02x}" for part in match.groups())
        return f"var(--chart-{hex_colour}, #{hex_colour})"

    return _RGB.sub(colour, style)


def _renamed(element, prefix):
    """Ids prefixed, and every reference to them: a page holds several drawings of one chart,
    whose ids (plotly.js's clip paths) must not meet."""
    for child in element.iter():
        if "id" in child.attrib:
            child.attrib["id"] = prefix + child.attrib["id"]
        for name, value in list(child.attrib.items()):
            if name in _UNUSED_ATTRIBUTES:
                del child.attrib[name]
            elif name in REFERENCE_ATTRIBUTES:  # only #ids are left (_clean)
                child.attrib[name] = "#" + prefix + value[1:]
            elif "url(" in value:
                child.attrib[name] = _LOCAL_REFERENCE.sub(lambda m: f"url(#{prefix}{m.group(2)})", value)
            if name == "style":
                child.attrib[name] = _themed(child.attrib[name])


def _only_page_elements(element):
    for child in list(element):
        if _local(child.tag) not in PAGE_ELEMENTS:
            element.remove(child)
        else:
            _only_page_elements(child)


def for_page(svg: bytes, prefix: str, attributes: dict) -> str:
    """Plotly's SVG as markup to write into a page (HTML): nothing that runs or reaches out, only
    PAGE_ELEMENTS, no font inside (the page has it), ids prefixed with ``prefix``, colours themable (``_themed``),
    scaled to its box (a viewBox, no width or height) and with ``attributes`` on its root."""
    root = _cleaned_root(svg)
    _only_page_elements(root)
    width, height = root.attrib.pop("width", None), root.attrib.pop("height", None)
    if width and height and "viewBox" not in root.attrib:
        root.attrib["viewBox"] = f"0 0 {width} {height}"
    root.attrib.pop("style", None)
    root.attrib.pop("class", None)
    _renamed(root, prefix)
    root.attrib.update(attributes)
    return ET.tostring(root, encoding="unicode", xml_declaration=False)
