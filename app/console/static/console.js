// The operator's console: clock, ages and 4CT countdowns, the live stream (resumed from the last event after
// a reconnect), sound, and the keyboard. No inline script anywhere (the pages' CSP allows 'self' only).
(function () {
  "use strict";
  var d = document.body.dataset;
  var lang = d.lang || "id-ID";
  var zone = d.timezone || "Asia/Jakarta";
  var english = lang.indexOf("en") === 0;

  // ---- time ----------------------------------------------------------------------------------------
  var clockFmt = new Intl.DateTimeFormat(lang, { timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZoneName: "short" });
  var localFmt = new Intl.DateTimeFormat(lang, { timeZone: zone, day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  var shortFmt = new Intl.DateTimeFormat(lang, { timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

  function span(ms) {
    var m = Math.floor(Math.abs(ms) / 60000);
    if (m < 1) return english ? "<1 min" : "<1 mnt";
    var h = Math.floor(m / 60), days = Math.floor(h / 24);
    if (days >= 1) return days + (english ? " d " : " hr ") + (h % 24) + (english ? " h" : " j");
    if (h >= 1) return h + (english ? " h " : " j ") + (m % 60) + (english ? " min" : " mnt");
    return m + (english ? " min" : " mnt");
  }

  function tick() {
    var now = Date.now();
    var clock = document.getElementById("clock");
    if (clock) clock.textContent = clockFmt.format(now);
    document.querySelectorAll("time.age").forEach(function (t) {
      t.textContent = span(now - Date.parse(t.getAttribute("datetime")));
    });
    document.querySelectorAll("time.deadline").forEach(function (t) {
      var left = Date.parse(t.getAttribute("datetime")) - now;
      t.textContent = left >= 0 ? span(left) + " " + d.textLeft : d.textLate + " " + span(left);
      t.classList.toggle("past", left < 0);
      t.classList.toggle("near", left >= 0 && left <= 10 * 60000);
    });
  }

  function localTimes(root) {
    root.querySelectorAll("time.local").forEach(function (t) {
      t.textContent = localFmt.format(Date.parse(t.getAttribute("datetime")));
    });
  }

  // ---- sound ---------------------------------------------------------------------------------------
  var audio = null;
  var soundWanted = localStorage.getItem("tanggap-sound") === "on";
  var soundButton = document.getElementById("sound");
  function showSound() {
    if (!soundButton) return;
    var on = soundWanted && audio !== null;
    soundButton.textContent = on ? d.textSoundOn : d.textSoundOff;
    soundButton.setAttribute("aria-pressed", on ? "true" : "false");
  }
  function unlockAudio() {
    if (audio === null && window.AudioContext) audio = new AudioContext();
  }
  if (soundButton) {
    soundButton.addEventListener("click", function () {
      if (soundWanted && audio !== null) {
        soundWanted = false;
      } else {
        soundWanted = true;
        unlockAudio();
        beep(660);
      }
      localStorage.setItem("tanggap-sound", soundWanted ? "on" : "off");
      showSound();
    });
  }
  // A browser plays sound only after a gesture on the page: the first key or click after a reload.
  function gesture() {
    if (soundWanted && audio === null) {
      unlockAudio();
      showSound();
    }
  }
  document.addEventListener("keydown", gesture, { once: true });
  document.addEventListener("click", gesture, { once: true });
  function beep(freq) {
    if (!soundWanted || audio === null) return;
    // Counted for anyone checking that an alert sounded (the tests).
    d.beeps = String(parseInt(d.beeps || "0", 10) + 1);
    var osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.25);
  }

  // ---- the live stream -------------------------------------------------------------------------------
  var conn = document.getElementById("conn");
  var lastSeq = d.seq ? parseInt(d.seq, 10) : null;
  var lastEventAt = null;
  var failures = 0;
  var offlineTimer = null;
  var retryTimer = null;

  function setConn(state) {
    if (!conn) return;
    conn.className = "conn conn-" + state;
    conn.dataset.state = state;
    var text = { live: d.textLive, reconnecting: d.textReconnecting, offline: d.textOffline }[state];
    document.getElementById("conn-state").textContent = text;
    var last = lastEventAt ? shortFmt.format(lastEventAt) : d.textNone;
    // "last event" is read out, not shown: the header stays one line at 1366 px (the time says enough).
    var label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = d.textLastEvent + ": ";
    document.getElementById("conn-last").replaceChildren("· ", label, last);
  }

  function retry() {
    failures += 1;
    setConn(failures > 2 ? "offline" : "reconnecting");
    if (offlineTimer === null) {
      offlineTimer = setTimeout(function () { setConn("offline"); }, 5000);
    }
    var wait = Math.min(500 * Math.pow(2, failures - 1), 3000);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, wait);
  }

  function connect() {
    if (!d.topic) return;
    fetch("/konsol/tiket", { method: "POST", headers: { "X-CSRF-Token": d.csrf }, credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) {
          location.href = "/konsol/masuk?lanjut=" + encodeURIComponent(location.pathname + location.search);
          throw new Error("signed out");
        }
        if (!r.ok) throw new Error("ticket " + r.status);
        return r.json();
      })
      .then(function (t) {
        var proto = location.protocol === "https:" ? "wss:" : "ws:";
        var url = proto + "//" + location.host + "/api/v1/ws?batch=true&topic=" + encodeURIComponent(t.topic) +
          "&ticket=" + encodeURIComponent(t.ticket);
        if (lastSeq !== null) url += "&since=" + lastSeq;
        var ws = new WebSocket(url);
        ws.onmessage = function (m) {
          // A batched frame carries several events: one that cannot be read or drawn must not lose the rest.
          String(m.data).split("\n").forEach(function (line) {
            if (!line) return;
            var msg;
            try { msg = JSON.parse(line); } catch (e) { report(e); return; }
            try { handle(msg); } catch (e) { report(e); }
          });
        };
        ws.onclose = function (ev) {
          if (ev.code === 4410) lastSeq = null; // outside the log: start again from the present
          retry();
        };
      })
      .catch(function (e) {
        if (String(e.message) !== "signed out") retry();
      });
  }

  function handle(msg) {
    if (msg.op === "hello") {
      failures = 0;
      clearTimeout(offlineTimer);
      offlineTimer = null;
      if (lastSeq === null) lastSeq = msg.head;
      conn.dataset.lastSeq = String(lastSeq);
      setConn("live");
      refresh(); // what happened while away is on the server: draw it (a replay follows, too)
    } else if (msg.op === "event") {
      if (lastSeq !== null && msg.seq <= lastSeq) return; // seen already: never announced twice
      lastSeq = msg.seq;
      // What the page has taken in, for anyone checking that nothing was missed or taken twice.
      conn.dataset.lastSeq = String(msg.seq);
      conn.dataset.events = String(parseInt(conn.dataset.events || "0", 10) + 1);
      lastEventAt = Date.parse(msg.occurred_at);
      setConn("live");
      // Counted above whatever happens here: an alert that fails must not make the event count as unseen.
      try { notice(msg); } catch (e) { report(e); }
      var page = document.getElementById("incident");
      if (!page || msg.incident_id === page.dataset.incident) refreshSoon();
    }
  }

  function report(e) {
    conn.dataset.errors = String(parseInt(conn.dataset.errors || "0", 10) + 1);
    if (window.console) window.console.error("tanggap live:", e);
  }

  // Visual alerts: kept on screen until dismissed (a sound and a spoken line pass; a breach must not).
  function banner(kind, ev, text) {
    var box = document.getElementById("alerts");
    if (!box) return;
    var item = document.createElement("div");
    item.className = "alert-item k-" + kind;
    item.dataset.kind = kind;
    if (ev.incident_id) item.dataset.incident = ev.incident_id;
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", d.textDismiss);
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(close);
    var body = ev.incident_id ? document.createElement("a") : document.createElement("span");
    if (ev.incident_id) body.href = "/konsol/insiden/" + ev.incident_id;
    body.textContent = text;
    item.appendChild(body);
    box.insertBefore(item, box.firstChild);
    while (box.children.length > 5) box.removeChild(box.lastChild);
  }

  function say(text, urgent) {
    // One polite region for everything; role=alert only for a new P1.
    var region = document.getElementById(urgent ? "alert" : "announce");
    region.textContent = "";
    region.textContent = text;
  }

  function notice(ev) {
    var data = ev.data || {};
    var text;
    if (ev.type === "incident.created") {
      var p = data.priority;
      text = d.textNewIncident + ": P" + p + " " + (data.category || "");
      if (p === 1) {
        say(text, true);
        banner("p1", ev, text);
        beep(880);
      } else {
        say(text, false);
        beep(520);
      }
    } else if (ev.type === "incident.4ct_breached") {
      var stage = d["textStage" + String(data.stage || "").charAt(0).toUpperCase() + String(data.stage || "").slice(1)];
      text = d.textBreach + ": " + (stage || data.stage || "") + (data.priority ? " · P" + data.priority : "");
      say(text, false);
      banner("breach", ev, text);
      beep(600);
      setTimeout(function () { beep(600); }, 300);
    } else if (ev.type === "incident.escalated") {
      beep(440);
      setTimeout(function () { beep(440); }, 300);
      var shown = function (reason) {
        var line = d.textEscalation + (reason ? ": " + reason : "");
        say(line, false);
        banner("escalation", ev, line);
      };
      if (!data.reason) { shown(""); return; }
      // The reason in the reader's language, by the server's translation (the board's and the timeline's);
      // the stored text when that cannot be had.
      fetch("/konsol/alasan", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": d.csrf, "Content-Type": "application/json" },
        body: JSON.stringify({ why: data.reason_why || null, text: data.reason })
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (t) { shown(t && t.text ? t.text : data.reason); })
        .catch(function () { shown(data.reason); });
    }
  }

  var refreshTimer = null;
  function refreshSoon() {
    if (refreshTimer === null) refreshTimer = setTimeout(function () { refreshTimer = null; refresh(); }, 60);
  }

  function refresh() {
    // The queue's rows, the board: drawn again by the server, so a replay never shows anything twice.
    var live = document.querySelector("[data-live-url]");
    if (live) {
      fetch(live.dataset.liveUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (r) { return r.ok && r.status === 200 ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          live.innerHTML = html;
          localTimes(live);
          tick();
        });
      return;
    }
    var incident = document.getElementById("incident");
    if (incident) {
      fetch(location.pathname, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          // An action of the page on its way (htmx marks its form): drawing now would take the form out of
          // the page under it, and its answer would lose where it goes. Drawn again after it.
          if (incident.querySelector(".htmx-request") || !document.body.contains(incident)) {
            refreshSoon();
            return;
          }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("incident");
          var focused = document.activeElement;
          if (focused && incident.contains(focused) && (focused.tagName === "INPUT" || focused.tagName === "TEXTAREA") &&
              focused.value && focused.type !== "hidden") return; // the operator is typing: keep it
          var focusId = focused && incident.contains(focused) ? focused.id : "";
          if (fresh) {
            incident.innerHTML = fresh.innerHTML;
            // Its forms are htmx's again (boosted: they swap the page in place rather than reload it).
            if (window.htmx) window.htmx.process(incident);
            // Where the keyboard was stays where it was.
            if (focusId && document.getElementById(focusId)) document.getElementById(focusId).focus();
            localTimes(incident);
            tick();
          }
        });
    }
  }

  // ---- keyboard ------------------------------------------------------------------------------------
  // The supervisor's menu: Escape closes it and gives the keyboard back to its summary; a click elsewhere
  // closes it too.
  var menu = document.getElementById("supervisor-menu");
  if (menu) {
    menu.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", function (e) {
      if (menu.open && !menu.contains(e.target)) menu.open = false;
    });
  }

  document.addEventListener("keydown", function (e) {
    if (e.altKey && !e.ctrlKey && (e.key === "n" || e.key === "N")) {
      e.preventDefault();
      location.href = "/konsol/panggilan";
      return;
    }
    var form = document.getElementById("call");
    if (!form) return;
    if (e.ctrlKey && !e.shiftKey && e.key === "Enter") {
      e.preventDefault();
      form.requestSubmit(document.getElementById("save"));
    } else if (e.ctrlKey && e.shiftKey && /^Digit[1-9]$/.test(e.code)) {
      var button = form.querySelector('.add-to[data-key="' + e.code.slice(5) + '"]');
      if (button) {
        e.preventDefault();
        form.requestSubmit(button);
      }
    }
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail && e.detail.target;
    // A refused action: its reason is where the keyboard goes (and what a screen reader reads next).
    if (target && target.id === "action-error") target.focus();
    else if (target && target.isConnected) localTimes(target);
    else localTimes(document);
    tick();
  });

  // ---- start ---------------------------------------------------------------------------------------
  localTimes(document);
  tick();
  setInterval(tick, 1000);
  showSound();
  var call = document.getElementById("call");
  if (call && document.getElementById("place").value && window.htmx) {
    window.htmx.trigger(document.getElementById("place"), "change");
  }
  if (conn) {
    setConn("reconnecting");
    connect();
  }
})();
