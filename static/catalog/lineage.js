/* Interactive lineage graph of the asset page (Cytoscape.js + dagre layout).
 *
 * Data: GET /api/v1/lineage?urn=&direction=&depth= → {nodes: [{urn, name, type, platform,
 * depth, direction}], edges: [{source, target, job}]} and, at column level,
 * GET /api/v1/column-lineage?urn=&field=&direction=&depth= → {nodes: [{urn, field, name,
 * depth, direction}], edges: [{source: {urn, field}, target: {urn, field}, transformation}]}.
 *
 * Both take as_of (ISO time: the edges valid then) and hidden=true (edges owners hid);
 * every edge carries its provenance (first_seen, last_seen, sources, manual, hidden,
 * assertions: [{id, provenance, source, author, note, valid_from, valid_to, hidden_reason}]).
 * Column-level INDIRECT edges are dashed and hidden unless "Indirect" is ticked.
 * Selecting an edge shows its provenance with Hide / Show / Remove buttons; the
 * "Add an edge by hand" form posts to /api/v1/lineage/edges.
 *
 * Click a node: select it, show its details and load one more level around it.
 * Double-click (or "Open"): go to its asset page. Drag to pan, wheel/pinch to zoom.
 * window.meshLineage exposes {cy, reload} for tests and debugging.
 */
(function () {
  "use strict";

  var root = document.getElementById("lineage");
  if (!root || typeof cytoscape === "undefined") return;

  var rootUrn = root.dataset.urn;
  var assetUrl = root.dataset.assetUrl;
  var statusEl = document.getElementById("lineage-status");
  var panel = document.getElementById("lineage-panel");
  var listEl = document.getElementById("lineage-list");
  var depthSel = document.getElementById("lineage-depth");
  var dirSel = document.getElementById("lineage-direction");
  var columnSel = document.getElementById("lineage-column");
  var columnPicker = root.querySelector("[data-column-picker]");
  var asOfInput = document.getElementById("lineage-as-of");
  var nowBtn = document.getElementById("lineage-now");
  var hiddenBox = document.getElementById("lineage-hidden");
  var indirectBox = document.getElementById("lineage-indirect");
  var indirectToggle = root.querySelector("[data-indirect-toggle]");
  var signedIn = root.dataset.signedIn === "true";
  var level = "dataset";
  var expanded = new Set();

  var cy = cytoscape({
    container: document.getElementById("lineage-graph"),
    minZoom: 0.15,
    maxZoom: 3,
    boxSelectionEnabled: false,
    style: [
      { selector: "node", style: {
        shape: "round-rectangle", "background-color": "#ffffff", "border-width": 2, "border-color": "#9aa6c2",
        label: "data(label)", "text-wrap": "wrap", "text-valign": "center", "text-halign": "center",
        "font-size": 12, "font-family": "system-ui, sans-serif", color: "#1b2233",
        width: "data(w)", height: 44, "text-max-width": "data(tw)"
      } },
      { selector: "node.upstream", style: { "background-color": "#e3f0ff", "border-color": "#5b84d6" } },
      { selector: "node.downstream", style: { "background-color": "#e6f6ee", "border-color": "#3d9a6f" } },
      { selector: "node.root", style: { "background-color": "#3354d1", "border-color": "#1d338c", color: "#ffffff", "font-weight": 700 } },
      { selector: "node.more", style: { "border-style": "dashed", "border-color": "#6b7690" } },
      { selector: "node.job", style: { shape: "hexagon" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#f0a500" } },
      { selector: "edge", style: {
        width: 2, "line-color": "#a4aec4", "target-arrow-color": "#a4aec4", "target-arrow-shape": "triangle",
        "curve-style": "bezier", "arrow-scale": 1.1
      } },
      { selector: "edge.indirect", style: { "line-style": "dashed" } },
      { selector: "edge.hidden-edge", style: { "line-style": "dotted", "line-color": "#c9ced9", "target-arrow-color": "#c9ced9" } },
      { selector: "edge.manual", style: { width: 3.5, "line-color": "#7a5cc7", "target-arrow-color": "#7a5cc7" } },
      { selector: ".filtered", style: { display: "none" } },
      { selector: "edge:selected", style: { "line-color": "#f0a500", "target-arrow-color": "#f0a500", width: 3 } }
    ]
  });

  function setStatus(text) { statusEl.textContent = text; }

  function nodeId(urn, field) { return field ? urn + "#" + field : urn; }

  function shortName(urn) {
    var tail = urn.split("/").pop();
    return tail.split(".").pop();
  }

  function addNode(n, opts) {
    var id = nodeId(n.urn, n.field);
    var existing = cy.getElementById(id);
    var isRoot = id === opts.rootId;
    if (existing.length) {
      if (isRoot) existing.addClass("root");
      return existing;
    }
    var label = n.field ? n.name : n.name + (n.platform ? "\n" + n.platform : "");
    var longest = label.split("\n").reduce(function (m, s) { return Math.max(m, s.length); }, 0);
    var w = Math.min(260, Math.max(90, longest * 7.2 + 28));
    var classes = [isRoot ? "root" : (n.direction || opts.direction || "")];
    if (n.type === "job") classes.push("job");
    if (!isRoot && opts.boundary && n.depth >= opts.boundary) classes.push("more");
    return cy.add({
      group: "nodes",
      data: {
        id: id, urn: n.urn, field: n.field || "", name: n.name, label: label, w: w, tw: w - 12,
        type: n.type || "", platform: n.platform || "", depth: n.depth, direction: n.direction || ""
      },
      classes: classes.join(" ")
    });
  }

  function addEdge(source, target, data) {
    var id = source + "→" + target;
    if (cy.getElementById(id).length || !cy.getElementById(source).length || !cy.getElementById(target).length) return;
    var classes = [];
    if (data.transformation === "INDIRECT") classes.push("indirect");
    if (data.details && data.details.hidden) classes.push("hidden-edge");
    if (data.details && data.details.manual) classes.push("manual");
    cy.add({ group: "edges", data: Object.assign({ id: id, source: source, target: target }, data),
      classes: classes.join(" ") });
  }

  function layout(fit) {
    cy.layout({ name: "dagre", rankDir: "LR", nodeSep: 24, rankSep: 90, edgeSep: 10, fit: fit !== false, padding: 30,
      animate: fit === false, animationDuration: 250 }).run();
    if (fit !== false && cy.zoom() > 1.25) {  // small graphs: keep text at a readable size
      cy.zoom(1.25);
      cy.center();
    }
  }

  function asOf() {
    if (!asOfInput || !asOfInput.value) return "";
    var when = new Date(asOfInput.value);  // local time as typed
    return isNaN(when.getTime()) ? "" : when.toISOString();
  }

  function lineageUrl(urn, field, direction, depth) {
    var params = new URLSearchParams({ urn: urn, direction: direction, depth: depth });
    if (field) params.set("field", field);
    if (asOf()) params.set("as_of", asOf());
    if (hiddenBox && hiddenBox.checked) params.set("hidden", "true");
    return (field ? root.dataset.columnLineageUrl : root.dataset.lineageUrl) + "?" + params.toString();
  }

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) return r.json().catch(function () { return {}; }).then(function (body) {
        throw new Error(body.detail || ("HTTP " + r.status));
      });
      return r.json();
    });
  }

  function merge(data, opts) {
    var before = cy.elements().length;
    cy.batch(function () {
      data.nodes.forEach(function (n) { addNode(n, opts); });
      data.edges.forEach(function (e) {
        if (level === "column") {
          addEdge(nodeId(e.source.urn, e.source.field), nodeId(e.target.urn, e.target.field),
            { transformation: e.transformation || "", subtypes: (e.subtypes || []).join(", "), details: e });
        } else {
          addEdge(e.source, e.target, { job: e.job || "", details: e });
        }
      });
    });
    applyIndirect();
    return cy.elements().length - before;
  }

  // INDIRECT column edges (filters, joins, grouping...) are hidden unless asked for, and
  // so are the columns reached only through them.
  function applyIndirect() {
    var show = level !== "column" || (indirectBox && indirectBox.checked);
    cy.batch(function () {
      cy.elements().removeClass("filtered");
      if (show) return;
      cy.edges(".indirect").addClass("filtered");
      cy.nodes().forEach(function (n) {
        if (n.hasClass("root")) return;
        var edges = n.connectedEdges();
        if (edges.length && edges.filter(".indirect").length === edges.length) n.addClass("filtered");
      });
    });
  }

  function currentRoot() {
    return level === "column" ? nodeId(rootUrn, columnSel.value) : rootUrn;
  }

  // Each reload bumps the generation; answers to older requests (a depth changed twice in
  // a row, an expand still loading when the level switches) are dropped, not merged.
  var generation = 0;

  function reload() {
    var depth = depthSel.value;
    var field = level === "column" ? columnSel.value : "";
    var mine = ++generation;
    expanded = new Set([currentRoot()]);
    cy.elements().remove();
    setStatus("Loading lineage…");
    return fetchJson(lineageUrl(rootUrn, field, dirSel.value, depth)).then(function (data) {
      if (mine !== generation) return;
      merge(data, { rootId: currentRoot(), boundary: depth === "all" ? 0 : Number(depth) });
      layout(true);
      describeGraph();
      showPanel(cy.getElementById(currentRoot()));
    }).catch(function (err) {
      if (mine === generation) setStatus("Could not load lineage: " + err.message);
    });
  }

  function expand(node) {
    var id = node.id();
    if (expanded.has(id)) return Promise.resolve(0);
    expanded.add(id);
    setStatus("Loading more lineage around " + node.data("name") + "…");
    var direction = node.hasClass("upstream") ? "upstream" : node.hasClass("downstream") ? "downstream" : "both";
    var mine = generation;
    return fetchJson(lineageUrl(node.data("urn"), node.data("field"), direction, 1)).then(function (data) {
      if (mine !== generation) return 0;
      var base = node.data("depth") || 0;
      data.nodes.forEach(function (n) {
        n.direction = n.depth === 0 ? node.data("direction") : direction;
        n.depth = base + n.depth;
      });
      var added = merge(data, { rootId: currentRoot(), boundary: base + 1, direction: direction });
      node.removeClass("more");
      if (added) layout(false);
      describeGraph(added ? "Added " + added + " element" + (added === 1 ? "" : "s") + " around " + node.data("name") + "." : "No more lineage around " + node.data("name") + ".");
      return added;
    }).catch(function (err) {
      if (mine !== generation) return;
      expanded.delete(id);
      setStatus("Could not expand " + node.data("name") + ": " + err.message);
    });
  }

  function link(href, text, cls) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (cls) a.className = cls;
    return a;
  }

  function showPanel(node) {
    panel.innerHTML = "";
    if (!node || !node.length) { panel.innerHTML = '<p class="muted">Select a node to see its details.</p>'; return; }
    var d = node.data();
    var h = document.createElement("h3");
    h.textContent = d.name;
    panel.appendChild(h);
    var meta = document.createElement("p");
    meta.className = "muted small";
    var where = node.hasClass("root") ? "this asset" : (d.direction + ", " + d.depth + " hop" + (d.depth === 1 ? "" : "s") + " away");
    meta.textContent = [d.type, d.platform, where].filter(Boolean).join(" · ");
    panel.appendChild(meta);
    var urn = document.createElement("code");
    urn.className = "small";
    urn.textContent = d.urn;
    panel.appendChild(urn);
    var actions = document.createElement("div");
    actions.className = "actions";
    var assetName = d.field ? d.name.slice(0, d.name.length - d.field.length - 1) : d.name;
    actions.appendChild(link(assetUrl + d.urn, "Open " + assetName, "button button--small"));
    if (!node.hasClass("root")) actions.appendChild(link(assetUrl + d.urn + "?tab=lineage", "Center here", "button button--ghost button--small"));
    panel.appendChild(actions);
  }

  function describeGraph(prefix) {
    var nodes = cy.nodes().not(".filtered");
    var up = nodes.filter(".upstream").length;
    var down = nodes.filter(".downstream").length;
    var edgeCount = cy.edges().not(".filtered").length;
    var when = asOf() ? " As of " + asOfInput.value.replace("T", " ") + "." : "";
    setStatus((prefix ? prefix + " " : "") + nodes.length + " node" + (nodes.length === 1 ? "" : "s") + " (" + up + " upstream, " + down + " downstream), " + edgeCount + " edge" + (edgeCount === 1 ? "" : "s") + "." + when);
    listEl.innerHTML = "";
    ["upstream", "downstream"].forEach(function (dir) {
      var group = nodes.filter("." + dir).sort(function (a, b) { return a.data("depth") - b.data("depth") || a.data("name").localeCompare(b.data("name")); });
      var h = document.createElement("h4");
      h.textContent = dir.charAt(0).toUpperCase() + dir.slice(1) + " (" + group.length + ")";
      listEl.appendChild(h);
      var ul = document.createElement("ul");
      group.forEach(function (n) {
        var li = document.createElement("li");
        li.appendChild(link(assetUrl + n.data("urn"), n.data("name")));
        li.appendChild(document.createTextNode(" · depth " + n.data("depth")));
        ul.appendChild(li);
      });
      if (!group.length) { var li = document.createElement("li"); li.className = "muted"; li.textContent = "None"; ul.appendChild(li); }
      listEl.appendChild(ul);
    });
  }

  cy.on("tap", "node", function (e) {
    showPanel(e.target);
    expand(e.target);
  });
  cy.on("dbltap", "node", function (e) { window.location.href = assetUrl + e.target.data("urn"); });
  cy.on("tap", "edge", function (e) { showEdge(e.target); });

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (err) { return ""; }
  }

  function send(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      if (r.status === 204) return {};
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          var msg = data.detail || Object.keys(data).map(function (k) { return k + ": " + [].concat(data[k]).join(" "); }).join("; ");
          throw new Error(msg || ("HTTP " + r.status));
        }
        return data;
      });
    });
  }

  function text(tag, content, cls) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (cls) el.className = cls;
    return el;
  }

  function day(iso) { return iso ? iso.replace("T", " ").slice(0, 19) : "—"; }

  function showEdge(edge) {
    var d = edge.data();
    var info = d.details || {};
    panel.innerHTML = "";
    panel.appendChild(text("p", cy.getElementById(d.source).data("name") + " → " + cy.getElementById(d.target).data("name")));
    if (d.job) {
      var via = document.createElement("p");
      via.appendChild(document.createTextNode("via job "));
      via.appendChild(link(assetUrl + d.job, shortName(d.job)));
      panel.appendChild(via);
    }
    if (d.transformation) {
      panel.appendChild(text("p", "Transformation: " + d.transformation + (d.subtypes ? " (" + d.subtypes + ")" : ""), "muted small"));
    }
    var facts = document.createElement("dl");
    facts.className = "small lineage__facts";
    [["Sources", (info.sources || []).join(", ") || "—"], ["First seen", day(info.first_seen)], ["Last seen", day(info.last_seen)]].forEach(function (pair) {
      facts.appendChild(text("dt", pair[0]));
      facts.appendChild(text("dd", pair[1]));
    });
    panel.appendChild(facts);
    var kind = level === "column" ? "column-edges" : "edges";
    (info.assertions || []).forEach(function (a) {
      var box = document.createElement("div");
      box.className = "lineage__assertion small";
      box.dataset.edgeId = a.id;
      var who = a.provenance === "manual" ? "manual, by " + (a.author || "someone") : "harvested from " + (a.source || "?");
      box.appendChild(text("p", who + " · valid from " + day(a.valid_from) + (a.valid_to ? " to " + day(a.valid_to) : "")));
      if (a.note) box.appendChild(text("p", "Note: " + a.note, "muted"));
      if (a.hidden) box.appendChild(text("p", "Hidden by " + (a.hidden_by || "?") + ": " + a.hidden_reason, "muted"));
      if (signedIn && !a.valid_to && !asOf()) box.appendChild(edgeActions(a, kind));
      panel.appendChild(box);
    });
  }

  function edgeActions(a, kind) {
    var actions = document.createElement("div");
    actions.className = "actions";
    var base = root.dataset.edgesUrl.replace(/edges$/, kind) + "/" + a.id;
    function act(method, url, body, done) {
      return send(method, url, body).then(function () { setStatus(done); return reload(); })
        .catch(function (err) { setStatus("Could not change the edge: " + err.message); });
    }
    if (a.provenance === "manual") {
      var remove = text("button", "Remove edge", "button button--ghost button--small");
      remove.type = "button";
      remove.addEventListener("click", function () { act("DELETE", base, null, "Edge removed (kept in the history)."); });
      actions.appendChild(remove);
    } else if (a.hidden) {
      var show = text("button", "Show edge", "button button--ghost button--small");
      show.type = "button";
      show.addEventListener("click", function () { act("POST", base + "/unhide", null, "Edge shown again."); });
      actions.appendChild(show);
    } else {
      var reason = document.createElement("input");
      reason.className = "input";
      reason.placeholder = "Reason to hide it";
      reason.setAttribute("aria-label", "Reason to hide this edge");
      var hide = text("button", "Hide edge", "button button--ghost button--small");
      hide.type = "button";
      hide.addEventListener("click", function () {
        if (!reason.value.trim()) { reason.focus(); setStatus("Give a reason to hide the edge."); return; }
        act("POST", base + "/hide", { reason: reason.value }, "Edge hidden.");
      });
      actions.appendChild(reason);
      actions.appendChild(hide);
    }
    return actions;
  }

  function setupAddForm() {
    var form = document.getElementById("lineage-add-form");
    if (!form) return;
    var status = document.getElementById("lineage-add-status");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = form.elements;
      var upstreamIsOther = f.relation.value === "upstream";
      var body = {
        upstream: upstreamIsOther ? f.other.value.trim() : rootUrn,
        downstream: upstreamIsOther ? rootUrn : f.other.value.trim(),
        note: f.note.value
      };
      if (f.field.value || f.other_field.value) {
        body.upstream_field = upstreamIsOther ? f.other_field.value.trim() : f.field.value;
        body.downstream_field = upstreamIsOther ? f.field.value : f.other_field.value.trim();
      }
      status.textContent = "Adding…";
      send("POST", root.dataset.edgesUrl, body).then(function (row) {
        status.textContent = "Added a manual " + row.kind + " edge.";
        form.reset();
        return reload();
      }).catch(function (err) { status.textContent = "Not added: " + err.message; });
    });
  }

  root.querySelectorAll("[data-level]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      level = btn.dataset.level;
      root.querySelectorAll("[data-level]").forEach(function (b) { b.setAttribute("aria-pressed", b === btn ? "true" : "false"); });
      columnPicker.hidden = level !== "column";
      if (indirectToggle) indirectToggle.hidden = level !== "column";
      reload();
    });
  });
  [depthSel, dirSel, columnSel, hiddenBox].forEach(function (sel) { if (sel) sel.addEventListener("change", reload); });
  if (indirectBox) indirectBox.addEventListener("change", function () { applyIndirect(); describeGraph(); });
  if (asOfInput) asOfInput.addEventListener("change", function () {
    nowBtn.hidden = !asOfInput.value;
    reload();
  });
  if (nowBtn) nowBtn.addEventListener("click", function () { asOfInput.value = ""; nowBtn.hidden = true; reload(); });
  setupAddForm();
  document.getElementById("lineage-fit").addEventListener("click", function () { cy.fit(undefined, 30); });

  window.meshLineage = { cy: cy, reload: reload, expand: expand, showEdge: showEdge };
  reload();
})();
