/* Mesh Catalog: behaviour shared by every page.
 * - "/" focuses the search box (unless typing in a field);
 * - autocomplete dropdown on the search box (GET /api/v1/search/suggest?q=), ARIA combobox;
 * - facet checkboxes submit the filter form (filters live in the URL);
 * - client-side filter for tables marked with data-filter-table.
 */
(function () {
  "use strict";

  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  /* "/" shortcut */
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || isTyping(document.activeElement)) return;
    var box = document.getElementById("global-search");
    if (!box) return;
    e.preventDefault();
    box.focus();
    box.select();
  });

  /* autocomplete */
  function setupAutocomplete(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var suggestUrl = input.dataset.suggestUrl;
    var assetUrl = input.dataset.assetUrl;
    var items = [];
    var active = -1;
    var timer = null;
    var seq = 0;

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      items = [];
      active = -1;
    }

    function go(item) {
      if (item.urn) window.location.href = assetUrl + item.urn;
      else window.location.href = input.form.action + "?q=" + encodeURIComponent(item.query);
    }

    function highlight(index) {
      var nodes = list.querySelectorAll("li");
      nodes.forEach(function (n, i) { n.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && nodes[index]) input.setAttribute("aria-activedescendant", nodes[index].id);
      else input.removeAttribute("aria-activedescendant");
    }

    function render(q, rows) {
      list.innerHTML = "";
      items = rows.slice(0, 8).map(function (r) {
        return typeof r === "string" ? { name: r, query: r } : r;
      });
      items.push({ all: true, query: q, name: "Search for “" + q + "”" });
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = "sug-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        if (item.all) {
          li.className = "sug__all";
          li.textContent = item.name;
        } else {
          var name = document.createElement("span");
          name.className = "sug__name";
          name.textContent = item.name;
          li.appendChild(name);
          if (item.type) {
            var badge = document.createElement("span");
            badge.className = "badge badge--" + item.type;
            badge.textContent = item.type;
            li.appendChild(badge);
          }
          var qn = document.createElement("span");
          qn.className = "sug__qn";
          qn.textContent = [item.platform, item.qualified_name].filter(Boolean).join(" · ");
          li.appendChild(qn);
        }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); go(item); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function fetchSuggestions() {
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      var mine = ++seq;
      fetch(suggestUrl + "?q=" + encodeURIComponent(q) + "&limit=8", { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (data) {
          if (mine !== seq || document.activeElement !== input) return;
          var rows = Array.isArray(data) ? data : (data.results || data.suggestions || []);
          render(q, rows);
        })
        .catch(function () { /* suggestions are a nicety: the form still submits */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(Math.max(active - 1, -1)); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); go(items[active]); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  /* facet checkboxes: submit on change, so filters stay in the URL */
  function setupFacets(form) {
    form.addEventListener("change", function (e) {
      if (e.target.type === "checkbox") form.submit();
    });
  }

  /* table filter box */
  function setupTableFilter(input) {
    var table = document.getElementById(input.dataset.filterTable);
    if (!table) return;
    var status = document.getElementById(input.id + "-status");
    var empty = table.closest(".tablewrap") && table.closest(".tablewrap").nextElementSibling;
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      var rows = table.querySelectorAll("tbody tr[data-row]");
      rows.forEach(function (row) {
        var match = !needle || row.textContent.toLowerCase().indexOf(needle) !== -1;
        row.hidden = !match;
        if (match) shown += 1;
      });
      if (status) status.textContent = needle ? shown + " of " + rows.length + " columns" : "";
      if (empty && empty.classList.contains("empty-filter")) empty.hidden = shown !== 0;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("global-search");
    if (box) setupAutocomplete(box);
    document.querySelectorAll("form[data-autosubmit]").forEach(setupFacets);
    document.querySelectorAll("input[data-filter-table]").forEach(setupTableFilter);
    if (window.matchMedia("(max-width: 860px)").matches) {
      document.querySelectorAll("details[data-collapse-on-phone]").forEach(function (d) { d.open = false; });
    }
  });
})();
