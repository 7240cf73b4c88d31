"""A real Chromium against ``static.STATIC_FILES``.

Chromium refuses an ES module, a stylesheet (in standards mode), an SVG
image and ``WebAssembly.instantiateStreaming`` unless the server names the
right MIME type; a ``<video>`` seeks with byte range requests. Every
scenario runs with Selenium and with Playwright.
"""

import pathlib
import re
import shutil
import subprocess

from browsers import BrowserTestCase
from browsers import with_browsers

import gocept.httpserverlayer.static

INDEX_HTML = """\
<!DOCTYPE html>
<html>
  <head>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="style.css">
    <script type="module" src="app.mjs"></script>
  </head>
  <body>
    <p id="greeting">The module did not run.</p>
    <img id="logo" src="logo.svg" alt="logo">
  </body>
</html>
"""

# The module imports another one and runs add() from add.wasm.
APP_MJS = """\
import {greeting} from "./greeting.mjs";

document.getElementById("greeting").textContent = greeting;
const {instance} = await WebAssembly.instantiateStreaming(fetch("add.wasm"));
document.body.dataset.sum = instance.exports.add(40, 2);
"""

GREETING_MJS = 'export const greeting = "Hello from a module";\n'

STYLE_CSS = "#greeting { color: rgb(0, 128, 0); }\n"

LOGO_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30">
  <rect width="40" height="30" fill="green"/>
</svg>
"""

# A WebAssembly module that exports add(a, b) for two i32 numbers: the
# binary format, section by section.
ADD_WASM = bytes(
    [
        *b"\0asm",  # magic
        *(1, 0, 0, 0),  # version 1
        *(1, 7, 1, 0x60, 2, 0x7F, 0x7F, 1, 0x7F),  # types: (i32, i32) -> i32
        *(3, 2, 1, 0),  # function 0 has type 0
        *(7, 7, 1, 3, *b"add", 0, 0),  # export "add" = function 0
        # code: local.get 0, local.get 1, i32.add, end
        *(10, 9, 1, 7, 0, 0x20, 0, 0x20, 1, 0x6A, 0x0B),
    ]
)

# Six seconds of VP8 noise at 2 Mbit/s (1.4 MB, made in half a second):
# large enough that Chromium, asked to preload only the metadata, fetches
# the index at the end and then the frames it seeks to with Range requests.
FFMPEG = shutil.which("ffmpeg")
FFMPEG_ARGS = (
    *("-hide_banner", "-loglevel", "error", "-nostdin", "-y"),
    *("-f", "lavfi", "-i", "testsrc=duration=6:size=160x120:rate=25"),
    *("-vf", "noise=alls=60:allf=t"),
    *("-c:v", "libvpx", "-b:v", "2M", "-minrate", "2M", "-maxrate", "2M"),
    *("-g", "25", "-an"),
)


def make_video(path):
    subprocess.run([FFMPEG, *FFMPEG_ARGS, str(path)], check=True, timeout=60)


VIDEO_HTML = """\
<!DOCTYPE html>
<html>
  <head><link rel="icon" href="data:,"></head>
  <body>
    <video id="video" src="video.webm" preload="metadata" muted></video>
    <script>
      const video = document.getElementById("video");
      video.addEventListener("loadedmetadata", () => {
        video.currentTime = 5.5;
      }, {once: true});
      video.addEventListener("seeked", () => {
        document.body.dataset.seeked = video.currentTime;
      }, {once: true});
      video.addEventListener("error", () => {
        document.body.dataset.seeked = `error ${video.error.message}`;
      });
    </script>
  </body>
</html>
"""

LAYERS = with_browsers(gocept.httpserverlayer.static.STATIC_FILES, __name__)


class StaticScenarios:
    def write(self, name, content):
        path = pathlib.Path(self.layer["documentroot"]) / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)

    def test_module_stylesheet_svg_and_wasm_are_used(self):
        self.write("index.html", INDEX_HTML)
        self.write("app.mjs", APP_MJS)
        self.write("greeting.mjs", GREETING_MJS)
        self.write("style.css", STYLE_CSS)
        self.write("logo.svg", LOGO_SVG)
        self.write("add.wasm", ADD_WASM)
        self.browser.open(self.url("/index.html"))
        self.assertEqual(
            "42",
            self.browser.wait(
                "document.body.dataset.sum",
                "app.mjs did not finish (see the browser console).",
            ),
        )
        self.assertEqual("Hello from a module", self.browser.text("#greeting"))
        self.assertEqual(
            "rgb(0, 128, 0)",
            self.browser.run(
                "getComputedStyle(document.getElementById('greeting')).color"
            ),
        )
        # An SVG served with another type does not decode: width 0.
        self.assertEqual(
            40,
            self.browser.wait(
                "document.getElementById('logo').naturalWidth",
                "logo.svg was not shown.",
            ),
        )
        types = {
            request.path: request.status
            for request in self.layer["http_requests"]
        }
        for name in (
            "index.html",
            "app.mjs",
            "greeting.mjs",
            "style.css",
            "logo.svg",
            "add.wasm",
        ):
            self.assertEqual(200, types.get(f"/{name}"), name)

    def test_video_seeks_with_byte_ranges(self):
        if FFMPEG is None:
            self.skipTest("ffmpeg is not installed (apt-get install ffmpeg)")
        make_video(pathlib.Path(self.layer["documentroot"]) / "video.webm")
        self.write("video.html", VIDEO_HTML)
        self.browser.open(self.url("/video.html"))
        seeked = self.browser.wait(
            "document.body.dataset.seeked", "The video did not seek."
        )
        self.assertEqual(5.5, float(seeked), seeked)
        requests = self.layer["http_requests"]
        video = requests.find("GET", "/video.webm")
        self.assertTrue(video, requests)
        starts = []
        for request in video:
            self.assertEqual(206, request.status, request)
            match = re.fullmatch(r"bytes=(\d+)-\d*", request.header("Range"))
            self.assertTrue(match, request.header("Range"))
            starts.append(int(match.group(1)))
        # Not only `bytes=0-`, which Chromium sends for every media file.
        self.assertGreater(max(starts), 0, video)


class SeleniumStaticTest(StaticScenarios, BrowserTestCase):
    layer = LAYERS["selenium"]


class PlaywrightStaticTest(StaticScenarios, BrowserTestCase):
    layer = LAYERS["playwright"]
