// acilab dashboard: polls api/counts and redraws the bar chart as SVG elements.
// Served by the dashboard binary; no library, no other origin. Text goes in with textContent.
'use strict';
(function () {
  const NS = 'http://www.w3.org/2000/svg';
  const chart = document.getElementById('chart');
  if (!chart) return;
  const axes = document.getElementById('axes');
  const bars = document.getElementById('bars');
  const status = document.getElementById('status');
  const interval = Math.max(500, Number(chart.dataset.interval) || 2000);
  const box = chart.getAttribute('viewBox').split(/\s+/).map(Number);
  const W = box[2];
  const H = box[3];
  const M = { left: 48, right: 12, top: 18, bottom: 92 };
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const baseY = M.top + plotH;
  const MAX_LABEL = 18;
  let polls = 0;

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // A round top for the y axis and a whole-number step: 1, 2 or 5 times a power of ten,
  // about five grid lines.
  function scale(max) {
    if (max <= 0) return { top: 5, step: 1 };
    const rough = max / 5;
    const pow = Math.pow(10, Math.floor(Math.log10(rough)));
    const step = Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= rough));
    return { top: Math.ceil(max / step) * step, step: step };
  }

  function drawAxes(sc) {
    axes.replaceChildren();
    for (let v = 0; v <= sc.top; v += sc.step) {
      const y = (baseY - (v / sc.top) * plotH).toFixed(1);
      axes.append(el('line', { class: 'grid', x1: M.left, x2: W - M.right, y1: y, y2: y }));
      axes.append(el('text', { class: 'tick', x: M.left - 6, y: Number(y) + 4, 'text-anchor': 'end' }, String(v)));
    }
    axes.append(el('line', { class: 'axis', x1: M.left, x2: W - M.right, y1: baseY, y2: baseY }));
    const mid = (M.top + plotH / 2).toFixed(1);
    axes.append(el('text', { class: 'axis-title', x: 12, y: mid, 'text-anchor': 'middle', transform: `rotate(-90 12 ${mid})` }, 'rows'));
  }

  function draw(counts) {
    const max = counts.reduce((m, c) => Math.max(m, c.count), 0);
    const sc = scale(max);
    drawAxes(sc);
    bars.replaceChildren();
    if (counts.length === 0) {
      bars.append(el('text', { class: 'empty', x: M.left + plotW / 2, y: M.top + plotH / 2, 'text-anchor': 'middle' }, 'No rows yet'));
      return;
    }
    const slot = plotW / counts.length;
    const bw = Math.min(64, slot * 0.7);
    counts.forEach((c, i) => {
      const h = (c.count / sc.top) * plotH;
      const x = M.left + i * slot + (slot - bw) / 2;
      const y = baseY - h;
      const cx = (x + bw / 2).toFixed(1);
      const g = el('g', { class: 'bar', 'data-ip': c.ip, 'data-count': c.count });
      g.append(el('title', {}, `${c.ip}: ${c.count} rows`));
      g.append(el('rect', { x: x.toFixed(1), y: y.toFixed(1), width: bw.toFixed(1), height: h.toFixed(1), rx: 2 }));
      if (bw >= 14) {
        g.append(el('text', { class: 'value', x: cx, y: (y - 5).toFixed(1), 'text-anchor': 'middle' }, String(c.count)));
      }
      const label = c.ip.length > MAX_LABEL ? `${c.ip.slice(0, MAX_LABEL - 1)}…` : c.ip;
      const ly = baseY + 14;
      g.append(el('text', { class: 'label', x: cx, y: ly, 'text-anchor': 'end', transform: `rotate(-40 ${cx} ${ly})` }, label));
      bars.append(g);
    });
  }

  async function poll() {
    try {
      const response = await fetch('api/counts', { cache: 'no-store', headers: { Accept: 'application/json' } });
      let body = null;
      try {
        body = await response.json();
      } catch (_) {
        body = null;
      }
      if (!response.ok || !body || !Array.isArray(body.counts)) {
        throw new Error((body && body.error) || `HTTP ${response.status}`);
      }
      draw(body.counts);
      polls += 1;
      chart.dataset.polls = String(polls);
      chart.dataset.total = String(body.total);
      const n = body.counts.length;
      status.textContent = `${body.total} rows from ${n} source IP address${n === 1 ? '' : 'es'} · updated ${new Date().toLocaleTimeString()}`;
      status.classList.remove('error');
    } catch (e) {
      status.textContent = `Not updated: ${e.message} (retrying every ${interval / 1000} s)`;
      status.classList.add('error');
    } finally {
      setTimeout(poll, interval);
    }
  }

  poll();
})();
