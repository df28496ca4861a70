/* The SCORM player: puts scorm-again's API where the package's SCO looks for it (window.API for
   SCORM 1.2, window.API_1484_11 for 2004), loads what the server says the SCO starts with, and
   only then loads the SCO into the sandboxed frame. Commits go to the attempt's commit URL. */
(function () {
  "use strict";
  var source = document.getElementById("scorm-config");
  var frame = document.getElementById("scorm-frame");
  var status = document.getElementById("scorm-status");
  if (!source || !frame) return;
  var config = JSON.parse(source.textContent);
  var is12 = config.version === "1.2";
  var settings = {
    lmsCommitUrl: config.commitUrl,
    dataCommitFormat: "json",
    autocommit: true,
    autocommitSeconds: 30,
    terminateCommitParam: "terminate",
    logLevel: 4
  };
  var api = is12 ? new window.Scorm12API(settings) : new window.Scorm2004API(settings);
  if (is12) { window.API = api; } else { window.API_1484_11 = api; }
  api.loadFromJSON(config.cmi, "cmi");
  var started = false;

  function say(key) {
    status.textContent = status.getAttribute("data-" + key);
    status.hidden = false;
  }

  api.on(is12 ? "LMSInitialize" : "Initialize", function () {
    started = true;
    status.hidden = true;
  });
  api.on(is12 ? "LMSFinish" : "Terminate", function () { say("finished"); });
  window.setTimeout(function () { if (!started) say("not-started"); }, config.initTimeoutMs);
  frame.src = config.launchUrl;
})();
