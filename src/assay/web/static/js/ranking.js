// Ranking widget: order 2–9 completions best first, ties allowed. Drag cards (SortableJS) or use keys:
// a letter selects a card, ↑/↓ move it, `=` ties it with the card above, Enter accepts the order shown.
// The answer is {"order": [[i, j], [k], ...]} (tie groups, best first), set only once the person acted,
// so an untouched default order is never stored as a judgment.
(function () {
  "use strict";
  var A = window.Assay = window.Assay || { widgets: {} };

  A.widgets.ranking = function (fs, ctx) {
    var list = fs.querySelector("[data-rank-list]"), h = A.util.hidden(fs, ctx.name);
    var state = fs.querySelector("[data-rank-state]");
    var selected = null, touched = false;
    function cards() { return Array.prototype.slice.call(list.querySelectorAll("[data-index]")); }
    function groups() {
      var out = [];
      cards().forEach(function (c, pos) {
        var i = parseInt(c.dataset.index, 10);
        if (pos > 0 && c.dataset.tied === "1") out[out.length - 1].push(i); else out.push([i]);
      });
      return out;
    }
    function render() {
      var gs = groups(), rank = 0;
      cards().forEach(function (c, pos) {
        if (pos === 0) c.dataset.tied = "0";
        var tied = c.dataset.tied === "1";
        if (!tied) rank++;
        c.querySelector("[data-rank]").textContent = String(rank);
        c.classList.toggle("tied", tied);
        c.classList.toggle("selected", c === selected);
        c.setAttribute("aria-label", "Rank " + rank + (tied ? " (tied)" : "") + ": Response " +
                       A.util.LETTERS[parseInt(c.dataset.index, 10)]);
      });
      if (state) {
        state.textContent = touched ? "Ranked: " + gs.map(function (g) {
          return g.map(function (i) { return A.util.LETTERS[i]; }).join(" = ");
        }).join(" > ") : "Not ranked yet — drag the cards or use the keys, or press Enter to accept this order";
        state.className = touched ? "ok" : "warn";
      }
      h.value = touched ? JSON.stringify({ order: gs }) : "";
    }
    function commit() { touched = true; render(); A.util.fire(h); }
    function select(c) { selected = c; render(); if (c) c.focus(); }
    // Rebuild the list from tie groups of cards (best first).
    function layout(gs) {
      gs.forEach(function (g) {
        g.forEach(function (c, k) { c.dataset.tied = k > 0 ? "1" : "0"; list.appendChild(c); });
      });
    }
    function cardGroups() {
      var out = [];
      cards().forEach(function (c, pos) {
        if (pos > 0 && c.dataset.tied === "1") out[out.length - 1].push(c); else out.push([c]);
      });
      return out;
    }
    // Move a card one step: a tied card leaves its group to just above/below it; a lone card swaps with
    // the neighbouring group.
    function move(c, delta) {
      var gs = cardGroups(), gi = 0;
      gs.forEach(function (g, i) { if (g.indexOf(c) >= 0) gi = i; });
      var alone = gs[gi].length === 1;
      gs[gi].splice(gs[gi].indexOf(c), 1);
      if (alone) gs.splice(gi, 1);
      var at = alone ? gi + delta : (delta < 0 ? gi : gi + 1);
      gs.splice(Math.max(0, Math.min(gs.length, at)), 0, [c]);
      layout(gs); commit(); c.focus();
    }
    // `=`: join the group above; pressed again, leave it (placed just below it).
    function tie(c) {
      var gs = cardGroups(), gi = 0;
      gs.forEach(function (g, i) { if (g.indexOf(c) >= 0) gi = i; });
      if (gs[gi].length > 1) { gs[gi].splice(gs[gi].indexOf(c), 1); gs.splice(gi + 1, 0, [c]); }
      else if (gi > 0) { gs.splice(gi, 1); gs[gi - 1].push(c); }
      else return;
      layout(gs); commit(); c.focus();
    }
    if (window.Sortable) {
      window.Sortable.create(list, { animation: 120, forceFallback: true, onEnd: function (ev) {
        selected = ev.item; commit();
      } });
    }
    fs.addEventListener("click", function (e) {
      var b = e.target.closest("[data-rank-action]"), c = e.target.closest("[data-index]");
      if (b && c) {
        e.preventDefault();
        if (b.dataset.rankAction === "up") move(c, -1);
        if (b.dataset.rankAction === "down") move(c, 1);
        if (b.dataset.rankAction === "tie") tie(c);
        return;
      }
      if (c) select(c);
    });
    render();
    return {
      get: function () { return touched ? { order: groups() } : null; },
      set: function (a) {
        if (!a || !a.order) return;
        var byIndex = {};
        cards().forEach(function (c) { byIndex[c.dataset.index] = c; });
        a.order.forEach(function (g) {
          (Array.isArray(g) ? g : [g]).forEach(function (i, k) {
            var c = byIndex[String(i)];
            if (!c) return;
            c.dataset.tied = k > 0 ? "1" : "0";
            list.appendChild(c);
          });
        });
        touched = true; render();
      },
      key: function (e) {
        var k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
        if (e.key.length === 1 && e.key !== k) return false;  // Shift+letter is a page shortcut
        var idx = "abcdefghi".indexOf(k);
        if (k.length === 1 && idx >= 0) {
          var c = list.querySelector('[data-index="' + idx + '"]');
          if (c) { select(c); return true; }
          return false;
        }
        if (!selected) { if (k === "ArrowUp" || k === "ArrowDown") { select(cards()[0]); return true; } }
        if (k === "ArrowUp" && selected) { move(selected, -1); return true; }
        if (k === "ArrowDown" && selected) { move(selected, 1); return true; }
        if (k === "=" && selected) { tie(selected); return true; }
        if (k === "Enter") { commit(); return true; }
        return false;
      },
      focus: function () { select(selected || cards()[0]); }
    };
  };
})();
