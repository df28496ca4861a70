// Practice recorder: records with MediaRecorder, previews, uploads in chunks with retries.
// Reads its URLs from the #practice-config JSON; no inline script (CSP, decision 0005).
(function () {
  "use strict";
  var configNode = document.getElementById("practice-config");
  if (!configNode) return;
  var config = JSON.parse(configNode.textContent);
  var CHUNK_BYTES = config.chunkBytes || 256 * 1024;
  var MAX_TRIES = 5;
  var source = document.getElementById("practice-source");
  var preview = document.getElementById("practice-preview");
  var startButton = document.getElementById("practice-start");
  var stopButton = document.getElementById("practice-stop");
  var uploadButton = document.getElementById("practice-upload");
  var status = document.getElementById("practice-status");
  var elapsed = document.getElementById("practice-elapsed");
  var elapsedLine = document.getElementById("practice-elapsed-line");
  var ticker = null;
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  var recorder = null;
  var parts = [];
  var recording = null;
  var startedAt = 0;
  var seconds = 0;

  function say(key, extra) {
    status.textContent = status.dataset[key] + (extra ? " " + extra : "");
  }

  function clock(totalSeconds) {
    var m = Math.floor(totalSeconds / 60);
    var s = totalSeconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    var secondsSoFar = Math.floor((Date.now() - startedAt) / 1000);
    elapsed.textContent = clock(secondsSoFar);
    // The organisation's longest recording: stop there rather than be refused on upload.
    if (config.maxSeconds && secondsSoFar >= config.maxSeconds) stop();
  }

  function pickType(wantsVideo) {
    var candidates = wantsVideo ? ["video/webm", "video/mp4"] : ["audio/webm"];
    for (var i = 0; i < candidates.length; i++) {
      if (window.MediaRecorder && MediaRecorder.isTypeSupported(candidates[i])) return candidates[i];
    }
    return null;
  }

  function start() {
    var wantsVideo = source.value === "camera";
    var type = pickType(wantsVideo);
    if (!type || !navigator.mediaDevices) { say("noMedia"); return; }
    navigator.mediaDevices.getUserMedia({ audio: true, video: wantsVideo }).then(function (stream) {
      parts = [];
      recording = null;
      preview.hidden = !wantsVideo;
      preview.controls = false;
      preview.muted = true;
      preview.removeAttribute("src");
      preview.srcObject = stream;
      preview.play();
      recorder = new MediaRecorder(stream, { mimeType: type });
      recorder.ondataavailable = function (event) { if (event.data.size) parts.push(event.data); };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        recording = new Blob(parts, { type: type });
        seconds = Math.max(1, Math.round((Date.now() - startedAt) / 1000));
        clearInterval(ticker);
        elapsed.textContent = clock(seconds);
        preview.srcObject = null;
        preview.src = URL.createObjectURL(recording);
        preview.controls = true;
        preview.muted = false;
        preview.hidden = false;
        uploadButton.disabled = false;
        startButton.disabled = false;
        say("ready");
      };
      startedAt = Date.now();
      recorder.start(1000);
      elapsed.textContent = clock(0);
      elapsedLine.hidden = false;
      ticker = setInterval(tick, 250);
      startButton.disabled = true;
      stopButton.disabled = false;
      uploadButton.disabled = true;
      say("recording");
    }, function () { say("noMedia"); });
  }

  function stop() {
    stopButton.disabled = true;
    if (recorder && recorder.state !== "inactive") recorder.stop();
  }

  function post(url, body, headers) {
    headers = headers || {};
    headers["X-CSRFToken"] = csrf;
    return fetch(url, { method: "POST", body: body, headers: headers, credentials: "same-origin" });
  }

  function errorText(response) {
    return response.json().then(function (data) {
      var errors = data.errors || {};
      return Object.keys(errors).map(function (field) { return errors[field].join(" "); }).join(" ");
    }, function () { return String(response.status); });
  }

  // One chunk, retried with a growing pause when the connection drops or the server fails;
  // a 400 is final. The server keeps chunks it already has, so sending one again is harmless.
  function sendChunk(url, index, total, tries) {
    var form = new FormData();
    form.append("index", String(index));
    form.append("total", String(total));
    form.append("chunk", recording.slice(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES), "chunk");
    return post(url, form).then(function (response) {
      if (response.ok) return response.json();
      if (response.status < 500) return errorText(response).then(function (text) { throw new Error(text); });
      throw { retry: true };
    }, function () { throw { retry: true }; }).catch(function (problem) {
      if (!problem || !problem.retry || tries + 1 >= MAX_TRIES) throw problem;
      say("retrying");
      return new Promise(function (resolve) { setTimeout(resolve, 500 * Math.pow(2, tries)); })
        .then(function () { return sendChunk(url, index, total, tries + 1); });
    });
  }

  function upload() {
    uploadButton.disabled = true;
    startButton.disabled = true;
    var total = Math.max(1, Math.ceil(recording.size / CHUNK_BYTES));
    say("uploading");
    var body = JSON.stringify({
      media_type: recording.type.split(";")[0], size_bytes: recording.size,
      total_chunks: total, duration_seconds: seconds
    });
    post(config.startUrl, body, { "Content-Type": "application/json" }).then(function (response) {
      if (!response.ok) return errorText(response).then(function (text) { throw new Error(text); });
      return response.json();
    }).then(function (attempt) {
      var chain = Promise.resolve();
      for (var i = 0; i < total; i++) {
        (function (index) {
          chain = chain.then(function () {
            say("uploading", (index + 1) + " / " + total);
            return sendChunk(attempt.chunkUrl, index, total, 0);
          });
        })(i);
      }
      return chain.then(function () { say("done"); window.location.assign(attempt.pageUrl); });
    }).catch(function (problem) {
      say("failed", problem && problem.message ? problem.message : "");
      uploadButton.disabled = false;
      startButton.disabled = false;
    });
  }

  // Without MediaRecorder (an old browser, a locked-down one) the file upload below remains.
  if (!window.MediaRecorder || !navigator.mediaDevices) {
    startButton.disabled = true;
    document.getElementById("practice-source-field").hidden = true;
    document.getElementById("practice-actions").hidden = true;
    say("noRecorder");
    return;
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  uploadButton.addEventListener("click", upload);
})();
