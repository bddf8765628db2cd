// The check-in desk scans invitation QR codes with the phone's or laptop's camera.
//
// Frames from getUserMedia are drawn on a canvas and decoded by the browser's BarcodeDetector
// where it has one (Chrome on Android and macOS), otherwise by the vendored jsQR
// (vendor/jsqr, loaded only then). A decoded code is posted to the desk (Accept:
// application/json); the answer is shown big (done / already / error) and the scanner goes on
// with the next person. The same code is not sent twice within a few seconds; checking in is
// idempotent on the server anyway ("already checked in", never an error). Typing the code in
// the form below stays as the fallback. Words come translated in the section's data-word-*.
//
// Without signal no scan is lost: each scan is kept in the phone's localStorage (one queue per
// signed-in user and activity, `jaga-scans-<user>-<activity>`) with the time it was scanned
// before it is sent, and leaves the queue only once the server has answered it. A scan that
// could not be sent shows as "queued"; the queue goes to the desk as one JSON batch (at most
// 500 scans a request; the server believes each scan's own time) when the `online` event fires,
// when the page opens with scans waiting, on "Send now" and after any scan that was answered.
// Re-sending after a lost answer is safe: a second scan of a code answers "already".
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

  var result = document.getElementById("scan-result");
  var box = document.querySelector("[data-scan-queue]");
  var boxLine = box.querySelector("[data-queue-line]");
  var boxCount = box.querySelector("[data-queue-count]");
  var boxSend = box.querySelector("[data-queue-send]");
  var boxStatus = box.querySelector("[data-queue-status]");
  var boxSummary = box.querySelector("[data-queue-summary]");
  var refusedBox = box.querySelector("[data-queue-refused]");
  var refusedList = box.querySelector("[data-queue-refused-list]");
  var url = form.getAttribute("action") || window.location.pathname;
  var KEY = "jaga-scans-" + root.getAttribute("data-user") + "-" + root.getAttribute("data-activity");
  var CHUNK = 500; // the desk takes at most 500 scans a request
  var inFlight = {}; // ids of scans being sent alone just now: not offered to a batch meanwhile
  var flushing = false;
  var retryTimer = null;
  var retryDelay = 0;
  var tally = { sent: 0, done: 0, already: 0, refused: 0 };

  function word(name) {
    return root.getAttribute("data-word-" + name) || "";
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function show(kind, name, message) {
    result.hidden = false;
    result.className = "scan-result " + kind;
    result.querySelector("[data-scan-name]").textContent = name || "";
    result.querySelector("[data-scan-message]").textContent = message || "";
  }

  function csrf() {
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    return token ? token.value : "";
  }

  // ------------------------------------------------------------------ the queue on the phone

  function valid(scan) {
    return (
      !!scan && typeof scan.id === "string" && typeof scan.code === "string" && typeof scan.at === "string"
    );
  }

  function load() {
    try {
      var list = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(list) ? list.filter(valid) : [];
    } catch (e) {
      return [];
    }
  }

  function save(list) {
    if (list.length) window.localStorage.setItem(KEY, JSON.stringify(list));
    else window.localStorage.removeItem(KEY);
  }

  function keep(scan) {
    // Stored before it is sent; false when the phone refuses to store (full, private mode).
    try {
      var list = load();
      list.push(scan);
      save(list);
      return true;
    } catch (e) {
      return false;
    }
  }

  function drop(ids) {
    try {
      save(
        load().filter(function (scan) {
          return ids.indexOf(scan.id) === -1;
        })
      );
    } catch (e) {
      /* it stays queued: sent again, the server answers "already" */
    }
  }

  function waiting() {
    return load().filter(function (scan) {
      return !inFlight[scan.id];
    });
  }

  function status(text) {
    boxStatus.textContent = text || "";
    boxStatus.hidden = !text;
  }

  function render() {
    var count = waiting().length;
    box.setAttribute("data-count", String(count));
    boxCount.textContent = fill(word("waiting"), { n: count });
    boxLine.hidden = count === 0;
    boxSend.disabled = flushing;
    if (!count && !flushing) status("");
    box.hidden = count === 0 && boxSummary.hidden && boxStatus.hidden;
  }

  function clock(iso) {
    var moment = new Date(iso);
    if (isNaN(moment.getTime())) return "";
    return ("0" + moment.getHours()).slice(-2) + ":" + ("0" + moment.getMinutes()).slice(-2);
  }

  function summarise(refused) {
    boxSummary.hidden = false;
    boxSummary.querySelector("[data-queue-summary-line]").textContent = fill(word("queue-summary"), tally);
    refused.forEach(function (item) {
      var line = document.createElement("li");
      var who = document.createElement("strong");
      who.textContent = item.name ? item.name + " (" + item.code + ")" : item.code;
      line.appendChild(who);
      var when = fill(word("scanned-at"), { time: clock(item.at) });
      line.appendChild(document.createTextNode(" · " + when + ": " + (item.message || "")));
      refusedList.appendChild(line);
    });
    if (refusedList.children.length) {
      refusedBox.hidden = false;
      refusedBox.querySelector("[data-queue-refused-title]").textContent = word("queue-refused");
    }
  }

  function post(body, headers, seconds) {
    // The desk's answer ({status, answer: the JSON or null}); rejects without a connection and
    // after `seconds` (a weak signal can keep a request hanging: the scan waits on the phone).
    headers.Accept = "application/json";
    headers["X-CSRFToken"] = csrf();
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller
      ? window.setTimeout(function () {
          controller.abort();
        }, seconds * 1000)
      : null;
    var options = { method: "POST", body: body, credentials: "same-origin", headers: headers };
    if (controller) options.signal = controller.signal;
    var settled = function () {
      if (timer) window.clearTimeout(timer);
    };
    return fetch(url, options)
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return null; // a sign-in page, a proxy's error page: not an answer
          })
          .then(function (answer) {
            settled();
            return { status: response.status, answer: answer };
          });
      })
      .catch(function (error) {
        settled();
        throw error;
      });
  }

  function retryLater() {
    if (retryTimer) return;
    retryDelay = Math.min(retryDelay ? retryDelay * 2 : 10000, 120000);
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      flush();
    }, retryDelay);
  }

  function sendChunks(refused) {
    // One chunk after the other until none waits; each answered scan leaves the queue.
    var chunk = waiting().slice(0, CHUNK);
    if (!chunk.length) return Promise.resolve("sent");
    var body = JSON.stringify({
      scans: chunk.map(function (scan) {
        return { code: scan.code, at: scan.at, representative_name: scan.representative_name || "" };
      }),
    });
    return post(body, { "Content-Type": "application/json" }, 90).then(function (reply) {
      var results = reply.answer && reply.answer.results;
      if (!Array.isArray(results) || results.length !== chunk.length) {
        var error = new Error("unanswered");
        error.reply = reply;
        throw error;
      }
      results.forEach(function (answer, i) {
        tally.sent += 1;
        if (answer.result === "done") tally.done += 1;
        else if (answer.result === "already") tally.already += 1;
        else {
          tally.refused += 1;
          refused.push({ code: chunk[i].code, at: chunk[i].at, name: answer.name, message: answer.message });
        }
      });
      drop(
        chunk.map(function (scan) {
          return scan.id;
        })
      );
      render();
      return sendChunks(refused);
    });
  }

  function flush() {
    // Send the queue as one batch (in chunks of CHUNK); never twice at once, nor from two tabs.
    if (flushing || !waiting().length) return render();
    if (retryTimer) {
      window.clearTimeout(retryTimer);
      retryTimer = null;
    }
    if (navigator.onLine === false) {
      status(word("queue-failed"));
      return render();
    }
    flushing = true;
    status(word("queue-sending"));
    render();
    var refused = [];
    var run = function (lock) {
      if (lock === null) return Promise.resolve("busy"); // another tab of this phone is sending
      return sendChunks(refused);
    };
    var locked =
      navigator.locks && typeof navigator.locks.request === "function"
        ? navigator.locks.request(KEY, { ifAvailable: true }, run)
        : run(true);
    return locked
      .then(function (outcome) {
        flushing = false;
        retryDelay = 0;
        status("");
        if (outcome === "busy") retryLater();
        else summarise(refused);
      })
      .catch(function (error) {
        flushing = false;
        var answer = error && error.reply && error.reply.answer;
        if (refused.length || tally.sent) summarise(refused);
        if (answer && answer.error === "bad_batch") {
          status(answer.message); // the server cannot read it: kept, sent again on "Send now"
        } else {
          // No connection, or a page that is no answer (signed out, a proxy): kept, tried again.
          status(word(error && error.reply ? "queue-unanswered" : "queue-failed"));
          retryLater();
        }
      })
      .then(render);
  }

  boxSend.addEventListener("click", flush);
  window.addEventListener("online", flush);
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) render();
  });
  flush();

  // ------------------------------------------------------------------ the camera

  if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") return;
  root.hidden = false;

  var video = root.querySelector("[data-scan-video]");
  var hint = root.querySelector("[data-scan-hint]");
  var startButton = root.querySelector("[data-scan-start]");
  var stopButton = root.querySelector("[data-scan-stop]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  var detector = null;
  var busy = false;
  var last = { code: null, at: 0 };
  var timer = null;

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

  function send(code) {
    busy = true;
    var rep = form.querySelector("[name=representative_name]");
    var scan = {
      id: Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10),
      code: code,
      at: new Date().toISOString(),
      representative_name: rep ? rep.value.trim().slice(0, 150) : "",
    };
    var kept = keep(scan); // on the phone before it is sent: no signal loses nothing
    var done = function () {
      hint.textContent = word("scanning");
      render();
      window.setTimeout(function () {
        busy = false;
      }, 1200);
    };
    var queued = function () {
      if (rep) rep.value = "";
      show("queued", code, word("queued"));
    };
    if (kept && navigator.onLine === false) {
      queued();
      done();
      return;
    }
    inFlight[scan.id] = true;
    hint.textContent = word("sending");
    var body = new FormData(form);
    body.set("code", code);
    post(body, {}, 8)
      .then(function (reply) {
        var answer = reply.answer;
        if (!answer || typeof answer.result !== "string") throw new Error("unanswered");
        delete inFlight[scan.id];
        drop([scan.id]);
        show(answer.result, answer.name, answer.message);
        if (rep) rep.value = "";
        flush(); // there is signal: send what waits
      })
      .catch(function () {
        delete inFlight[scan.id];
        if (kept) {
          queued();
          retryLater();
        } else {
          show("error", "", word("offline"));
          last.code = null; // let the same code be tried again
        }
      })
      .then(done);
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
    var saved = waiting().some(function (scan) {
      return scan.code === code;
    });
    if (saved) {
      // Scanned again while it waits on the phone: kept once, sent once.
      show("queued", code, word("queued-again"));
      flush();
      return;
    }
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
    (detector || typeof window.jsQR === "function" ? Promise.resolve() : chooseDecoder())
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

  // The decoder is fetched while the page has signal: the camera starts without it too.
  chooseDecoder().catch(function () {});
  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", stop);
  window.addEventListener("pagehide", stop);
})();
