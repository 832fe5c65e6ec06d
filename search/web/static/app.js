// Progressive enhancement only: the page works without this file.
// "/" focuses the search box; typing offers completions from /api/suggest.
(function () {
  "use strict";
  var box = document.getElementById("q");
  var list = document.getElementById("q-completions");
  if (!box) return;

  document.addEventListener("keydown", function (event) {
    var t = event.target;
    var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.key === "Escape" && t === box) {
      box.blur();
    }
  });

  if (!list || !window.fetch) return;
  var timer = null, last = null, controller = null;
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var text = box.value;
      if (text === last) return;
      last = text;
      if (controller) controller.abort();
      if (text.trim().length < 2) { list.replaceChildren(); return; }
      controller = window.AbortController ? new AbortController() : null;
      fetch("/api/suggest?q=" + encodeURIComponent(text),
            controller ? { signal: controller.signal } : {})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data || box.value !== text) return;
          var values = data.completions.slice();
          if (data.suggestion && values.indexOf(data.suggestion) < 0) values.unshift(data.suggestion);
          list.replaceChildren.apply(list, values.map(function (value) {
            var option = document.createElement("option");
            option.value = value;  // text, never markup
            return option;
          }));
        })
        .catch(function () {});
    }, 150);
  });
})();
