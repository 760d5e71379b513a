// Overview charts: messages and bytes per second over the last minutes,
// from /ui/api/series (sampled on the server every 2 s).
(function () {
  "use strict";
  var plots = [];
  var css = getComputedStyle(document.documentElement);
  function fmtNum(v) {
    if (v == null) return "–";
    if (v >= 1e6) return (v / 1e6).toFixed(1) + "M";
    if (v >= 1e3) return (v / 1e3).toFixed(1) + "k";
    return v.toFixed(v < 10 && v % 1 ? 1 : 0);
  }
  function fmtBytes(v) {
    if (v == null) return "–";
    var u = ["B", "KiB", "MiB", "GiB"], i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return v.toFixed(i ? 1 : 0) + " " + u[i];
  }
  function make(el, names, fmt) {
    var colors = ["#2f7f86", "#e07a2f"];
    var opts = {
      width: el.clientWidth, height: 220,
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.15)]; } } },
      axes: [
        { stroke: "#667085", grid: { stroke: "#eef0f3" }, ticks: { stroke: "#eef0f3" } },
        { stroke: "#667085", grid: { stroke: "#eef0f3" }, ticks: { stroke: "#eef0f3" }, size: 72,
          values: function (u, vals) { return vals.map(fmt); } }
      ],
      series: [{}].concat(names.map(function (n, i) {
        return { label: n, stroke: colors[i], width: 2, fill: colors[i] + "18", points: { show: false } };
      }))
    };
    var p = new uPlot(opts, [[], [], []], el);
    plots.push({ p: p, el: el });
    return p;
  }
  var src = document.getElementById("chart-msgs").getAttribute("data-src");
  var msgs = make(document.getElementById("chart-msgs"), ["in", "out"], fmtNum);
  var bytes = make(document.getElementById("chart-bytes"), ["in", "out"], fmtBytes);
  function load() {
    if (document.hidden) return;
    fetch(src, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (c) {
        msgs.setData([c[0], c[1], c[2]]);
        bytes.setData([c[0], c[3], c[4]]);
      })
      .catch(function () {});
  }
  load();
  setInterval(load, 2000);
  window.addEventListener("resize", function () {
    plots.forEach(function (x) { x.p.setSize({ width: x.el.clientWidth, height: 220 }); });
  });
})();
