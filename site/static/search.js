/* Search on the static site: asks the catalogue's API (named in the page by
   the build's api_base setting) and shows the results here. The address
   holds the whole state (?q=...&theme=...&page=2), so it can be shared and
   the back button works. Without JavaScript the form goes to the server's
   own search page instead. Harvested text is only ever set as text; the
   snippets' <mark> tags are the one piece of markup kept. */
(function () {
  "use strict";

  // Search boxes on other static pages: open this page with the query.
  document.querySelectorAll("form[data-static-search]").forEach(function (box) {
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      var params = new URLSearchParams(new FormData(box));
      params.delete("lang");
      window.location.href = box.getAttribute("data-static-search") + "?" + params.toString();
    });
  });

  var form = document.getElementById("static-search");
  if (!form || !window.fetch || !window.URLSearchParams || !window.DOMParser) return;

  var strings = JSON.parse(document.getElementById("strings").textContent);
  var api = form.getAttribute("data-api");
  var lang = form.getAttribute("data-lang");
  var prefix = form.getAttribute("data-prefix");
  var facetsBox = document.getElementById("facets");
  var groups = document.getElementById("facet-groups");
  var results = document.getElementById("results");
  var status = document.getElementById("status");
  var heading = document.getElementById("results-title");
  var pager = document.getElementById("pager");
  var SHOWN = 8;

  function el(name, attrs, text) {
    var node = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  }

  function snippet(html) {
    // Keep <mark>, turn everything else into text.
    var doc = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    var out = document.createDocumentFragment();
    doc.body.firstChild.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") out.appendChild(el("mark", {}, node.textContent));
      else out.appendChild(document.createTextNode(node.textContent));
    });
    return out;
  }

  function pageOf(uri) {
    var key = uri.split("/id/practice/")[1] || "";
    return prefix + "/practice/" + encodeURIComponent(key) + ".html";
  }

  function urlWith(params, page) {
    var copy = new URLSearchParams(params);
    copy.delete("page");
    if (page > 1) copy.set("page", String(page));
    return "?" + copy.toString();
  }

  function renderFacets(params, facets) {
    groups.textContent = "";
    strings.order.forEach(function (name) {
      var values = facets[name] || [];
      if (!values.length) return;
      var chosen = params.getAll(name);
      var set = el("fieldset");
      set.appendChild(el("legend", {}, strings.facets[name] || name));
      var target = set;
      values.forEach(function (fv, i) {
        if (i === SHOWN) {
          var more = el("details");
          more.appendChild(el("summary", {}, format(strings.more, { count: values.length - SHOWN })));
          if (values.slice(SHOWN).some(function (v) { return chosen.indexOf(v.value) >= 0; })) more.open = true;
          set.appendChild(more);
          target = more;
        }
        var id = "f-" + name + "-" + (i + 1);
        var row = el("div", { "class": "check" });
        var box = el("input", { type: "checkbox", id: id, name: name, value: fv.value });
        box.checked = chosen.indexOf(fv.value) >= 0;
        var label = el("label", { "for": id }, fv.label + " ");
        label.appendChild(el("span", { "class": "count" }, "(" + fv.count + ")"));
        row.appendChild(box);
        row.appendChild(label);
        target.appendChild(row);
      });
      groups.appendChild(set);
    });
    facetsBox.hidden = !groups.children.length;
  }

  function renderHits(params, data) {
    results.textContent = "";
    results.setAttribute("start", String((data.page - 1) * data.per_page + 1));
    data.results.forEach(function (hit) {
      var item = el("li", { "class": "result" });
      var title = el("h3", { "class": "result-title" });
      var link = el("a", { href: pageOf(hit.uri) }, hit.title);
      if (hit.lang) link.setAttribute("lang", hit.lang);
      title.appendChild(link);
      item.appendChild(title);
      if (hit.snippet) {
        var p = el("p", { "class": "snippet" });
        if (hit.snippet_lang) p.setAttribute("lang", hit.snippet_lang);
        p.appendChild(snippet(hit.snippet));
        item.appendChild(p);
      }
      results.appendChild(item);
    });
  }

  function renderPager(params, data) {
    var list = pager.querySelector("ul");
    list.textContent = "";
    var last = Math.max(1, Math.ceil(data.total / data.per_page));
    pager.hidden = last <= 1;
    function add(page, text, rel, current) {
      var item = el("li");
      var link = el("a", { href: urlWith(params, page) }, text);
      if (rel) link.setAttribute("rel", rel);
      if (current) link.setAttribute("aria-current", "page");
      item.appendChild(link);
      list.appendChild(item);
    }
    if (data.page > 1) add(data.page - 1, strings.previous, "prev");
    for (var n = Math.max(1, data.page - 2); n <= Math.min(last, data.page + 2); n++) add(n, String(n), null, n === data.page);
    if (data.page < last) add(data.page + 1, strings.next, "next");
  }

  function render(params, data) {
    heading.textContent = format(strings.found, { n: data.total });
    status.textContent = data.total ? "" : strings.none;
    if (data.suggestion) {
      status.textContent = strings.didyoumean + " ";
      var again = new URLSearchParams(params);
      again.set("q", data.suggestion);
      again.delete("page");
      status.appendChild(el("a", { href: "?" + again.toString() }, data.suggestion));
    }
    renderFacets(params, data.facets);
    renderHits(params, data);
    renderPager(params, data);
  }

  function fillForm(params) {
    form.elements.q.value = params.get("q") || "";
    form.elements.sort.value = params.get("sort") || "relevance";
  }

  function load(params, moveFocus) {
    var query = new URLSearchParams(params);
    query.set("lang", lang);
    status.textContent = strings.loading;
    return fetch(api + "?" + query.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        render(params, data);
        if (moveFocus) heading.focus();
      })
      .catch(function () {
        status.textContent = strings.failed;
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var params = new URLSearchParams(new FormData(form));
    params.delete("lang");
    if (!params.get("q")) params.delete("q");
    if (params.get("sort") === "relevance") params.delete("sort");
    window.history.pushState(null, "", "?" + params.toString());
    load(params, true);
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("#pager a, #status a") : null;
    if (!link) return;
    event.preventDefault();
    window.history.pushState(null, "", link.getAttribute("href"));
    var params = new URLSearchParams(window.location.search);
    fillForm(params);
    load(params, true);
  });

  window.addEventListener("popstate", function () {
    var params = new URLSearchParams(window.location.search);
    fillForm(params);
    load(params, false);
  });

  var initial = new URLSearchParams(window.location.search);
  fillForm(initial);
  load(initial, false);
})();
