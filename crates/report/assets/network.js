// orgmirror network picture: WebGL points and lines (a 2D canvas when WebGL is not available),
// pan by dragging, zoom with the wheel, hover for details, search by name, colour by department
// or community. The data and the layout come from the report (#net-data); nothing is fetched.
(function () {
  'use strict';
  var el = document.getElementById('net-data');
  var canvas = document.getElementById('net');
  if (!el || !canvas) return;
  var d = JSON.parse(el.textContent);
  var n = d.x.length;
  var m = d.edges.length / 2;
  var state = { renderer: 'none', nodes: n, edges: m, frames: 0, colour: 'dept', found: null };
  window.orgmirrorNetwork = state;
  var tip = document.getElementById('net-tip');
  var legendEl = document.getElementById('net-legend');
  var select = document.getElementById('net-colour');
  var search = document.getElementById('net-search');
  var foundEl = document.getElementById('net-found');

  function hex(c) {
    return [parseInt(c.slice(1, 3), 16) / 255, parseInt(c.slice(3, 5), 16) / 255, parseInt(c.slice(5, 7), 16) / 255];
  }
  var palette = d.palette.map(hex);
  palette.push([0.74, 0.76, 0.79]); // everyone outside the eleven largest groups
  var NODE = 0.15; // world units per unit of size

  // Bounds and view.
  var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (var i = 0; i < n; i++) {
    if (d.x[i] < minX) minX = d.x[i];
    if (d.x[i] > maxX) maxX = d.x[i];
    if (d.y[i] < minY) minY = d.y[i];
    if (d.y[i] > maxY) maxY = d.y[i];
  }
  if (n === 0) { minX = minY = -1; maxX = maxY = 1; }
  var view = { cx: 0, cy: 0, scale: 1 };
  var dpr = window.devicePixelRatio || 1;
  function fit() {
    view.cx = (minX + maxX) / 2;
    view.cy = (minY + maxY) / 2;
    var w = canvas.width, h = canvas.height;
    view.scale = 0.92 * Math.min(w / Math.max(maxX - minX, 1), h / Math.max(maxY - minY, 1));
  }
  function resize() {
    var w = Math.max(1, Math.round(canvas.clientWidth * dpr));
    var h = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  }
  function toWorld(px, py) {
    return [(px * dpr - canvas.width / 2) / view.scale + view.cx, (py * dpr - canvas.height / 2) / view.scale + view.cy];
  }

  // A grid over the nodes for hover lookups.
  var CELL = 2.5, grid = new Map();
  function key(gx, gy) { return gx * 1000003 + gy; }
  for (var k = 0; k < n; k++) {
    var gk = key(Math.floor(d.x[k] / CELL), Math.floor(d.y[k] / CELL));
    var list = grid.get(gk);
    if (!list) { list = []; grid.set(gk, list); }
    list.push(k);
  }
  function nearest(wx, wy, within) {
    var best = -1, bestD = within * within;
    var r = Math.ceil(within / CELL);
    var gx = Math.floor(wx / CELL), gy = Math.floor(wy / CELL);
    for (var ax = gx - r; ax <= gx + r; ax++) {
      for (var ay = gy - r; ay <= gy + r; ay++) {
        var l = grid.get(key(ax, ay));
        if (!l) continue;
        for (var j = 0; j < l.length; j++) {
          var q = l[j], dx = d.x[q] - wx, dy = d.y[q] - wy, dd = dx * dx + dy * dy;
          if (dd < bestD) { bestD = dd; best = q; }
        }
      }
    }
    return best;
  }

  function colourOf(q) {
    return palette[state.colour === 'dept' ? d.dept[q] : d.comm[q]];
  }

  // ---- WebGL ----
  var gl = null;
  try {
    gl = canvas.getContext('webgl', { antialias: false, preserveDrawingBuffer: true, alpha: false });
  } catch (e) { gl = null; }
  var glState = null;
  function shader(type, src) {
    var s = gl.createShader(type);
    gl.shaderSource(s, src);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
    return s;
  }
  function program(vs, fs) {
    var p = gl.createProgram();
    gl.attachShader(p, shader(gl.VERTEX_SHADER, vs));
    gl.attachShader(p, shader(gl.FRAGMENT_SHADER, fs));
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(p));
    return p;
  }
  var VIEW = 'uniform vec2 u_center; uniform float u_scale; uniform vec2 u_res;' +
    'vec4 place(vec2 p) { vec2 s = (p - u_center) * u_scale * 2.0 / u_res; return vec4(s.x, -s.y, 0.0, 1.0); }';
  function setupGL() {
    var nodeProg = program(
      'attribute vec2 a_pos; attribute float a_size; attribute vec3 a_col; ' + VIEW +
      'uniform float u_node; uniform float u_ring; varying vec3 v_col;' +
      'void main() { gl_Position = place(a_pos); gl_PointSize = clamp(a_size * u_node * u_scale + u_ring, 2.0, 64.0); v_col = a_col; }',
      'precision mediump float; varying vec3 v_col; uniform float u_ringMode; uniform vec3 u_ringCol;' +
      'void main() { vec2 c = gl_PointCoord * 2.0 - 1.0; float r = dot(c, c); if (r > 1.0) discard;' +
      ' if (u_ringMode > 0.5) { if (r < 0.55) discard; gl_FragColor = vec4(u_ringCol, 1.0); return; }' +
      ' gl_FragColor = vec4(r > 0.72 ? v_col * 0.72 : v_col, 1.0); }');
    var edgeProg = program(
      'attribute vec2 a_pos; attribute float a_alpha; varying float v_alpha; ' + VIEW +
      'void main() { gl_Position = place(a_pos); v_alpha = a_alpha; }',
      'precision mediump float; varying float v_alpha; void main() { gl_FragColor = vec4(0.45, 0.49, 0.55, v_alpha); }');
    var pos = new Float32Array(2 * n), size = new Float32Array(n);
    for (var q = 0; q < n; q++) { pos[2 * q] = d.x[q]; pos[2 * q + 1] = d.y[q]; size[q] = d.size[q]; }
    var epos = new Float32Array(4 * m), ealpha = new Float32Array(2 * m);
    for (var e = 0; e < m; e++) {
      var a = d.edges[2 * e], b = d.edges[2 * e + 1];
      epos[4 * e] = d.x[a]; epos[4 * e + 1] = d.y[a]; epos[4 * e + 2] = d.x[b]; epos[4 * e + 3] = d.y[b];
      ealpha[2 * e] = ealpha[2 * e + 1] = 0.04 + 0.3 * d.weight[e];
    }
    function buffer(arr) { var b = gl.createBuffer(); gl.bindBuffer(gl.ARRAY_BUFFER, b); gl.bufferData(gl.ARRAY_BUFFER, arr, gl.STATIC_DRAW); return b; }
    glState = {
      nodeProg: nodeProg, edgeProg: edgeProg,
      pos: buffer(pos), size: buffer(size), col: gl.createBuffer(),
      epos: buffer(epos), ealpha: buffer(ealpha),
      ring: gl.createBuffer(), ringSize: gl.createBuffer(), ringCount: 0,
    };
    recolourGL();
    rings();
  }
  function recolourGL() {
    var col = new Float32Array(3 * n);
    for (var q = 0; q < n; q++) { var c = colourOf(q); col[3 * q] = c[0]; col[3 * q + 1] = c[1]; col[3 * q + 2] = c[2]; }
    gl.bindBuffer(gl.ARRAY_BUFFER, glState.col);
    gl.bufferData(gl.ARRAY_BUFFER, col, gl.STATIC_DRAW);
  }
  // Rings mark hidden influencers, paper power and the person found by search.
  function ringList() {
    var out = [];
    for (var q = 0; q < n; q++) if (d.flag[q]) out.push(q);
    if (state.found !== null) out.push(state.found);
    return out;
  }
  function rings() {
    var l = ringList(), p = new Float32Array(2 * l.length), s = new Float32Array(l.length);
    for (var j = 0; j < l.length; j++) { p[2 * j] = d.x[l[j]]; p[2 * j + 1] = d.y[l[j]]; s[j] = d.size[l[j]]; }
    gl.bindBuffer(gl.ARRAY_BUFFER, glState.ring); gl.bufferData(gl.ARRAY_BUFFER, p, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, glState.ringSize); gl.bufferData(gl.ARRAY_BUFFER, s, gl.STATIC_DRAW);
    glState.ringCount = l.length;
  }
  function attr(prog, name, buf, size) {
    var loc = gl.getAttribLocation(prog, name);
    if (loc < 0) return;
    gl.bindBuffer(gl.ARRAY_BUFFER, buf);
    gl.enableVertexAttribArray(loc);
    gl.vertexAttribPointer(loc, size, gl.FLOAT, false, 0, 0);
  }
  function viewUniforms(prog) {
    gl.uniform2f(gl.getUniformLocation(prog, 'u_center'), view.cx, view.cy);
    gl.uniform1f(gl.getUniformLocation(prog, 'u_scale'), view.scale);
    gl.uniform2f(gl.getUniformLocation(prog, 'u_res'), canvas.width, canvas.height);
  }
  function drawGL() {
    var s = glState;
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.clearColor(1, 1, 1, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.useProgram(s.edgeProg);
    viewUniforms(s.edgeProg);
    attr(s.edgeProg, 'a_pos', s.epos, 2);
    attr(s.edgeProg, 'a_alpha', s.ealpha, 1);
    if (m > 0) gl.drawArrays(gl.LINES, 0, 2 * m);
    gl.disableVertexAttribArray(gl.getAttribLocation(s.edgeProg, 'a_alpha'));
    gl.useProgram(s.nodeProg);
    viewUniforms(s.nodeProg);
    gl.uniform1f(gl.getUniformLocation(s.nodeProg, 'u_node'), 2 * NODE);
    gl.uniform1f(gl.getUniformLocation(s.nodeProg, 'u_ring'), 0);
    gl.uniform1f(gl.getUniformLocation(s.nodeProg, 'u_ringMode'), 0);
    attr(s.nodeProg, 'a_pos', s.pos, 2);
    attr(s.nodeProg, 'a_size', s.size, 1);
    attr(s.nodeProg, 'a_col', s.col, 3);
    if (n > 0) gl.drawArrays(gl.POINTS, 0, n);
    if (s.ringCount > 0) {
      gl.disableVertexAttribArray(gl.getAttribLocation(s.nodeProg, 'a_col'));
      gl.vertexAttrib3f(gl.getAttribLocation(s.nodeProg, 'a_col'), 0, 0, 0);
      gl.uniform1f(gl.getUniformLocation(s.nodeProg, 'u_ring'), 7 * dpr);
      gl.uniform1f(gl.getUniformLocation(s.nodeProg, 'u_ringMode'), 1);
      gl.uniform3f(gl.getUniformLocation(s.nodeProg, 'u_ringCol'), 0.48, 0.25, 0.71);
      attr(s.nodeProg, 'a_pos', s.ring, 2);
      attr(s.nodeProg, 'a_size', s.ringSize, 1);
      gl.drawArrays(gl.POINTS, 0, s.ringCount);
    }
  }

  // ---- 2D canvas ----
  var ctx = null;
  function draw2D() {
    var w = canvas.width, h = canvas.height;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    function sx(x) { return (x - view.cx) * view.scale + w / 2; }
    function sy(y) { return (y - view.cy) * view.scale + h / 2; }
    ctx.strokeStyle = 'rgba(115,125,140,0.12)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (var e = 0; e < m; e++) {
      var a = d.edges[2 * e], b = d.edges[2 * e + 1];
      ctx.moveTo(sx(d.x[a]), sy(d.y[a]));
      ctx.lineTo(sx(d.x[b]), sy(d.y[b]));
    }
    ctx.stroke();
    for (var q = 0; q < n; q++) {
      var c = colourOf(q), r = Math.max(1, d.size[q] * NODE * view.scale);
      ctx.fillStyle = 'rgb(' + Math.round(255 * c[0]) + ',' + Math.round(255 * c[1]) + ',' + Math.round(255 * c[2]) + ')';
      ctx.beginPath();
      ctx.arc(sx(d.x[q]), sy(d.y[q]), r, 0, 2 * Math.PI);
      ctx.fill();
    }
    var l = ringList();
    ctx.strokeStyle = '#7b3fb5';
    ctx.lineWidth = 2.5 * dpr;
    for (var j = 0; j < l.length; j++) {
      var p = l[j];
      ctx.beginPath();
      ctx.arc(sx(d.x[p]), sy(d.y[p]), Math.max(1, d.size[p] * NODE * view.scale) + 3.5 * dpr, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }

  var pending = false;
  function draw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      resize();
      if (glState) drawGL(); else draw2D();
      state.frames += 1;
    });
  }

  // One synchronous redraw, in milliseconds (the browser test measures how fluid the picture is).
  state.redraw = function () {
    var t = performance.now();
    resize();
    if (glState) { drawGL(); gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4)); } else { draw2D(); }
    return performance.now() - t;
  };

  if (gl) {
    try { setupGL(); state.renderer = 'webgl'; } catch (e) { glState = null; gl = null; }
  }
  if (!glState) {
    // A canvas that refused WebGL cannot give a 2D context: swap in a fresh one.
    if (gl === null && state.renderer !== 'webgl') {
      var fresh = canvas.cloneNode(false);
      canvas.parentNode.replaceChild(fresh, canvas);
      canvas = fresh;
    }
    ctx = canvas.getContext('2d');
    state.renderer = '2d';
  }

  // Built with the DOM, colours set through CSSOM: no style attribute in markup, so the legend
  // works under a Content-Security-Policy without 'unsafe-inline'.
  function legend() {
    var names = d.legend[state.colour];
    while (legendEl.firstChild) legendEl.removeChild(legendEl.firstChild);
    function item(colour, text, cls) {
      var span = document.createElement('span');
      var i = document.createElement('i');
      if (cls) i.className = cls; else i.style.background = colour;
      span.appendChild(i);
      span.appendChild(document.createTextNode(text));
      legendEl.appendChild(span);
    }
    for (var j = 0; j < names.length; j++) item(d.palette[j], names[j]);
    item('#bdc2c9', 'others');
    item(null, 'hidden influencer or paper power', 'ring');
  }
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
  }

  // Interaction.
  var drag = null;
  canvas.addEventListener('pointerdown', function (ev) {
    drag = { x: ev.clientX, y: ev.clientY, cx: view.cx, cy: view.cy };
    canvas.setPointerCapture(ev.pointerId);
    canvas.style.cursor = 'grabbing';
  });
  canvas.addEventListener('pointerup', function (ev) {
    drag = null;
    canvas.releasePointerCapture(ev.pointerId);
    canvas.style.cursor = 'grab';
  });
  canvas.addEventListener('pointermove', function (ev) {
    var rect = canvas.getBoundingClientRect();
    if (drag) {
      view.cx = drag.cx - (ev.clientX - drag.x) * dpr / view.scale;
      view.cy = drag.cy - (ev.clientY - drag.y) * dpr / view.scale;
      tip.hidden = true;
      draw();
      return;
    }
    var px = ev.clientX - rect.left, py = ev.clientY - rect.top;
    var w = toWorld(px, py);
    var q = nearest(w[0], w[1], Math.max(0.8, 8 * dpr / view.scale));
    if (q < 0) { tip.hidden = true; return; }
    var flags = [];
    if (d.flag[q] & 1) flags.push('hidden influencer');
    if (d.flag[q] & 2) flags.push('paper power');
    tip.innerHTML = '<b>' + escapeHtml(d.label[q]) + '</b><br>' +
      (d.deptName[q] ? escapeHtml(d.deptName[q]) + ' · ' : '') + 'community ' + d.commId[q] + '<br>' +
      'informal power: ' + d.informal[q] + 'th percentile' +
      (d.roles[q] ? '<br>' + escapeHtml(d.roles[q].replace(/,/g, ', ')) : '') +
      (flags.length ? '<br><b>' + flags.join(', ') + '</b>' : '');
    tip.style.left = Math.min(px + 14, rect.width - 240) + 'px';
    tip.style.top = (py + 14) + 'px';
    tip.hidden = false;
  });
  canvas.addEventListener('pointerleave', function () { tip.hidden = true; });
  canvas.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var rect = canvas.getBoundingClientRect();
    var before = toWorld(ev.clientX - rect.left, ev.clientY - rect.top);
    view.scale *= Math.exp(-ev.deltaY * 0.0015);
    var after = toWorld(ev.clientX - rect.left, ev.clientY - rect.top);
    view.cx += before[0] - after[0];
    view.cy += before[1] - after[1];
    draw();
  }, { passive: false });
  select.addEventListener('change', function () {
    state.colour = select.value;
    if (glState) recolourGL();
    legend();
    draw();
  });
  function find() {
    var t = search.value.trim().toLowerCase();
    state.found = null;
    if (t) {
      for (var q = 0; q < n; q++) {
        if (String(d.label[q]).toLowerCase().indexOf(t) >= 0) { state.found = q; break; }
      }
    }
    if (state.found !== null) {
      view.cx = d.x[state.found];
      view.cy = d.y[state.found];
      view.scale = Math.max(view.scale, 18 * dpr);
      foundEl.textContent = d.label[state.found] + ' (' + (d.deptName[state.found] || 'no department') + ')';
    } else {
      foundEl.textContent = t ? 'nobody by that name in the picture' : '';
    }
    if (glState) rings();
    draw();
  }
  search.addEventListener('change', find);
  search.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') find(); });
  document.getElementById('net-reset').addEventListener('click', function () { fit(); draw(); });
  window.addEventListener('resize', function () { resize(); draw(); });

  resize();
  fit();
  legend();
  draw();
})();
