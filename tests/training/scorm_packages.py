"""Real SCORM packages built in memory: a manifest and an HTML+JavaScript SCO that finds the
run-time API in its parent window and calls it the way authoring tools do (Initialize, read the
entry mode, bookmark and suspend data, write answers, score and status, Commit, Terminate).

The same SCO serves both versions; `sco.js` picks the API object (API for 1.2,
API_1484_11 for 2004) and the element names."""

import io
import zipfile
from collections.abc import Mapping

MANIFEST_12 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.discovery" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Discovery that finds pain</title>
      {items}
    </organization>
  </organizations>
  <resources>
    <resource identifier="res-sco" type="webcontent" adlcp:scormtype="sco" href="sco/index.html">
      <file href="sco/index.html"/><file href="sco/sco.js"/>
    </resource>
  </resources>
</manifest>
"""
ITEM_12 = '<item identifier="{id}" identifierref="res-sco" parameters="?part={id}">'
ITEM_12 += "<title>{title}</title></item>"

MANIFEST_2004 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.meddic" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>MEDDIC in practice</title>
      <item identifier="item-1" identifierref="res-sco"><title>Economic buyer</title></item>
    </organization>
  </organizations>
  <resources xml:base="content/">
    <resource identifier="res-sco" type="webcontent" adlcp:scormType="sco" href="sco/index.html">
      <file href="sco/index.html"/><file href="sco/sco.js"/>
    </resource>
  </resources>
</manifest>
"""

SCO_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SCO</title>
<script src="sco.js"></script>
<script>window.scoReady = true;</script>
</head><body>
<h1>Who signs the cheque?</h1>
<p id="state">Loading…</p>
<fieldset><legend>Pick the economic buyer</legend>
<label><input type="radio" name="q" value="champion"> The champion</label>
<label><input type="radio" name="q" value="cfo"> The CFO who owns the budget</label>
</fieldset>
<button id="pause" type="button">Save and pause</button>
<button id="finish" type="button">Finish</button>
</body></html>
"""

SCO_JS = r"""
(function () {
  function find(win, name) {
    for (var i = 0; win && i < 10; i++) { if (win[name]) return win[name]; win = win.parent; }
    return null;
  }
  var v12 = find(window, "API"), api = v12 || find(window, "API_1484_11");
  var n = v12 ? {
    init: "LMSInitialize", get: "LMSGetValue", set: "LMSSetValue", commit: "LMSCommit",
    end: "LMSFinish", entry: "cmi.core.entry", location: "cmi.core.lesson_location",
    exit: "cmi.core.exit", raw: "cmi.core.score.raw", time: "cmi.core.session_time",
    time0: "00:02:05"
  } : {
    init: "Initialize", get: "GetValue", set: "SetValue", commit: "Commit",
    end: "Terminate", entry: "cmi.entry", location: "cmi.location", exit: "cmi.exit",
    raw: "cmi.score.raw", time: "cmi.session_time", time0: "PT2M5S"
  };
  function call(name) { return api[n[name]].apply(api, [].slice.call(arguments, 1)); }
  function status(done) {
    if (v12) { call("set", "cmi.core.lesson_status", done ? "passed" : "incomplete"); return; }
    call("set", "cmi.completion_status", done ? "completed" : "incomplete");
    if (!done) return;
    call("set", "cmi.success_status", "passed");
    call("set", "cmi.score.scaled", "0.9");
  }
  function chosen() {
    var c = document.querySelector("input[name=q]:checked"); return c ? c.value : "";
  }
  window.addEventListener("DOMContentLoaded", function () {
    var state = document.getElementById("state");
    if (!api) { state.textContent = "No LMS API"; return; }
    if (String(call("init", "")) !== "true") { state.textContent = "Initialize failed"; return; }
    var entry = call("get", n.entry), place = call("get", n.location);
    var saved = call("get", "cmi.suspend_data");
    if (saved) {
      var box = document.querySelector("input[value=" + JSON.parse(saved).answer + "]");
      if (box) box.checked = true;
    }
    state.textContent = "entry=" + entry + " location=" + place;
    document.getElementById("pause").addEventListener("click", function () {
      call("set", n.location, "question-1");
      call("set", "cmi.suspend_data", JSON.stringify({answer: chosen()}));
      status(false);
      call("set", n.exit, "suspend");
      call("set", n.time, n.time0);
      call("commit", "");
      call("end", "");
      state.textContent = "paused";
    });
    document.getElementById("finish").addEventListener("click", function () {
      var right = chosen() === "cfo";
      call("set", n.raw, right ? "90" : "20");
      if (v12) { call("set", "cmi.core.score.min", "0"); call("set", "cmi.core.score.max", "100"); }
      status(right);
      call("set", n.exit, v12 ? "" : "normal");
      call("set", n.time, n.time0);
      call("commit", "");
      call("end", "");
      state.textContent = right ? "finished: passed" : "finished: try again";
    });
  });
})();
"""


def zip_bytes(files: Mapping[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def scorm12_files(*, parts: int = 1) -> dict[str, bytes | str]:
    items = "".join(
        ITEM_12.format(id=f"part-{n}", title=f"Discovery part {n}") for n in range(1, parts + 1)
    )
    return {
        "imsmanifest.xml": MANIFEST_12.format(items=items),
        "sco/index.html": SCO_HTML,
        "sco/sco.js": SCO_JS,
    }


def scorm2004_files() -> dict[str, bytes | str]:
    return {
        "imsmanifest.xml": MANIFEST_2004,
        "content/sco/index.html": SCO_HTML,
        "content/sco/sco.js": SCO_JS,
    }


def scorm12_zip(*, parts: int = 1) -> bytes:
    return zip_bytes(scorm12_files(parts=parts))


def scorm2004_zip() -> bytes:
    return zip_bytes(scorm2004_files())
