// orgmirror serve: uploads with their progress, and the job history kept up to date.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf"]');
  token = token ? token.getAttribute("content") : "";

  var form = document.getElementById("upload");
  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var status = document.getElementById("upload-status");
      var bar = document.getElementById("upload-bar");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      xhr.setRequestHeader("X-CSRF-Token", token);
      xhr.upload.addEventListener("progress", function (ev) {
        if (ev.lengthComputable) { bar.max = ev.total; bar.value = ev.loaded; }
        status.textContent = "Uploading…";
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300) {
          status.textContent = "Uploaded; ingesting in the background (job " + JSON.parse(xhr.responseText).job + ").";
          poll();
        } else {
          var msg = "upload failed";
          try { msg = JSON.parse(xhr.responseText).error.message; } catch (x) { /* not JSON */ }
          status.textContent = msg;
        }
      });
      xhr.send(new FormData(form));
    });
  }

  var jobs = document.getElementById("jobs");
  function render(list) {
    var body = jobs.querySelector("tbody");
    while (body.firstChild) body.removeChild(body.firstChild);
    var running = false;
    list.forEach(function (j) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-job", j.id);
      tr.setAttribute("data-state", j.state);
      [j.id, j.kind, j.what, j.state].forEach(function (v) {
        var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      });
      var td = document.createElement("td");
      if (j.state === "running" || j.state === "queued") {
        running = true;
        var p = document.createElement("progress");
        if (j.total > 0) { p.max = j.total; p.value = j.done; }
        p.setAttribute("aria-label", "progress of job " + j.id);
        td.appendChild(p);
        td.appendChild(document.createTextNode(" " + j.stage));
      } else {
        td.textContent = j.message;
      }
      tr.appendChild(td);
      var by = document.createElement("td"); by.textContent = j.by; tr.appendChild(by);
      body.appendChild(tr);
    });
    return running;
  }
  function poll() {
    if (!jobs) return;
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/api/v1/jobs");
    xhr.addEventListener("load", function () {
      if (xhr.status === 200 && render(JSON.parse(xhr.responseText).jobs)) setTimeout(poll, 1000);
    });
    xhr.send();
  }
  if (jobs && jobs.getAttribute("data-running") === "true") poll();
})();
