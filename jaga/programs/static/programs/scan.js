// The check-in desk scans invitation QR codes with the phone's or laptop's camera.
//
// Frames from getUserMedia are drawn on a canvas and decoded by the browser's BarcodeDetector
// where it has one (Chrome on Android and macOS), otherwise by the vendored jsQR
// (vendor/jsqr, loaded only then). A decoded code is posted to the desk (Accept:
// application/json); the answer is shown big (done / already / error) and the scanner goes on
// with the next person. The same code is not sent twice within a few seconds; checking in is
// idempotent on the server anyway ("already checked in", never an error). Typing the code in
// the form below stays as the fallback. Words come translated in the section's data-word-*.
(function () {
  "use strict";
  var root = document.querySelector("[data-scanner]");
  var form = document.querySelector("form[data-checkin-form]");

  function extract(text) {
    // The QR holds the check-in URL (…/program/hadir/<code>/); a bare code is accepted too.
    var match = /\/hadir\/([A-Za-z0-9]{4,16})\/?(?:[?#].*)?$/.exec(text || "");
    if (match) return match[1].toUpperCase();
    text = (text || "").trim();
    return /^[A-Za-z0-9]{6,16}$/.test(text) ? text.toUpperCase() : null;
  }

  function decodeWithJsqr(imageData) {
    if (typeof window.jsQR !== "function") return null;
    var found = window.jsQR(imageData.data, imageData.width, imageData.height, {
      inversionAttempts: "attemptBoth",
    });
    return found ? found.data : null;
  }

  window.jagaScan = { extract: extract, decodeImageData: decodeWithJsqr };
  if (!root || !form) return;
  if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") return;
  root.hidden = false;

  var video = root.querySelector("[data-scan-video]");
  var hint = root.querySelector("[data-scan-hint]");
  var startButton = root.querySelector("[data-scan-start]");
  var stopButton = root.querySelector("[data-scan-stop]");
  var result = document.getElementById("scan-result");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var detector = null;
  var busy = false;
  var last = { code: null, at: 0 };
  var timer = null;

  function word(name) {
    return root.getAttribute("data-word-" + name) || "";
  }

  function loadJsqr() {
    return new Promise(function (resolve, reject) {
      if (typeof window.jsQR === "function") return resolve();
      var tag = document.createElement("script");
      tag.src = root.getAttribute("data-jsqr");
      tag.onload = function () {
        resolve();
      };
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }

  function chooseDecoder() {
    if (!("BarcodeDetector" in window)) return loadJsqr();
    return window.BarcodeDetector.getSupportedFormats()
      .then(function (formats) {
        if (formats.indexOf("qr_code") === -1) return loadJsqr();
        detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      })
      .catch(loadJsqr);
  }

  function show(kind, name, message) {
    result.hidden = false;
    result.className = "scan-result " + kind;
    result.querySelector("[data-scan-name]").textContent = name || "";
    result.querySelector("[data-scan-message]").textContent = message || "";
  }

  function send(code) {
    busy = true;
    hint.textContent = word("sending");
    var body = new FormData(form);
    body.set("code", code);
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (answer) {
        show(answer.result, answer.name, answer.message);
        var rep = form.querySelector("[name=representative_name]");
        if (rep) rep.value = "";
      })
      .catch(function () {
        show("error", "", word("offline"));
        last.code = null; // let the same code be tried again
      })
      .then(function () {
        hint.textContent = word("scanning");
        window.setTimeout(function () {
          busy = false;
        }, 1200);
      });
  }

  function found(text) {
    var code = extract(text);
    var now = Date.now();
    if (!code) {
      if (now - last.at > 3000) show("error", "", word("unknown"));
      last = { code: null, at: now };
      return;
    }
    if (code === last.code && now - last.at < 5000) return;
    last = { code: code, at: now };
    send(code);
  }

  function tick() {
    timer = null;
    if (!stream) return;
    if (busy || video.readyState < 2 || !video.videoWidth) {
      timer = window.setTimeout(tick, 200);
      return;
    }
    var scale = Math.min(1, 640 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var next = function () {
      if (stream) timer = window.setTimeout(tick, 150);
    };
    if (detector) {
      detector
        .detect(canvas)
        .then(function (codes) {
          if (codes.length) found(codes[0].rawValue);
        })
        .catch(function () {})
        .then(next);
    } else {
      var text = decodeWithJsqr(context.getImageData(0, 0, canvas.width, canvas.height));
      if (text) found(text);
      next();
    }
  }

  function stop() {
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
    }
    stream = null;
    if (timer) window.clearTimeout(timer);
    video.srcObject = null;
    startButton.hidden = false;
    stopButton.hidden = true;
    hint.textContent = "";
  }

  function start() {
    hint.textContent = word("starting");
    startButton.hidden = true;
    chooseDecoder()
      .then(function () {
        return navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: "environment" } },
          audio: false,
        });
      })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        return video.play();
      })
      .then(function () {
        stopButton.hidden = false;
        hint.textContent = word("scanning");
        tick();
      })
      .catch(function () {
        stop();
        hint.textContent = word("no-camera");
      });
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  window.addEventListener("pagehide", stop);
})();
