// Small conveniences only: the site works fully without JavaScript.
"use strict";
document.addEventListener("keydown", (event) => {
  // "/" jumps to the search box, as on many search sites.
  const box = document.getElementById("q");
  if (event.key === "/" && box && document.activeElement !== box &&
      !["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName)) {
    event.preventDefault();
    box.focus();
    box.select();
  }
});

// Suggest as you type: an ARIA 1.2 combobox with a listbox popup over the plain GET form.
(() => {
  const DEBOUNCE_MS = 150;
  const MAX_CHARS = 100; // the API's limit on q (after trimming)

  function setUp(form) {
    const input = form.querySelector("input[name=q]");
    const url = form.dataset.suggestUrl;
    if (!input || !url || !window.fetch) return;

    // The list hangs under the input: wrap the input so the list can be positioned on it.
    const hadFocus = document.activeElement === input;
    const wrap = document.createElement("div");
    wrap.className = "suggest";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    const list = document.createElement("ul");
    list.id = `${input.id || "q"}-suggestions`;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", form.dataset.suggestLabel || "");
    list.hidden = true;
    wrap.appendChild(list);
    const status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    wrap.appendChild(status);
    if (hadFocus) input.focus();

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    const cache = new Map(); // input value -> suggestions
    let options = [];
    let active = -1;
    let timer = 0;
    let controller = null;
    let dismissed = false; // Escape closed the list: keep it closed until the text changes

    function setActive(i) {
      active = i;
      options.forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
      if (i >= 0) {
        input.setAttribute("aria-activedescendant", options[i].id);
        options[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      setActive(-1);
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      status.textContent = "";
    }

    function open() {
      if (!options.length) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    // The completed part in bold, the part already typed as is; text only, never HTML.
    function label(li, typed, text) {
      let n = 0;
      const a = typed.toLowerCase();
      const b = text.toLowerCase();
      while (n < a.length && n < b.length && a[n] === b[n]) n++;
      if (n) li.append(text.slice(0, n));
      if (n < text.length) {
        const rest = document.createElement("b");
        rest.textContent = text.slice(n);
        li.append(rest);
      }
    }

    function show(typed, suggestions) {
      list.replaceChildren();
      options = suggestions.map((text, i) => {
        const li = document.createElement("li");
        li.id = `${list.id}-${i}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.value = text;
        label(li, typed, text);
        list.append(li);
        return li;
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (!options.length) {
        close();
        return;
      }
      open();
      status.textContent = (form.dataset.suggestCount || "{n}").replace("{n}", options.length);
    }

    async function load() {
      const value = input.value;
      const trimmed = value.trim();
      if (!trimmed || trimmed.length > MAX_CHARS) {
        show(value, []);
        return;
      }
      if (cache.has(value)) {
        show(value, cache.get(value));
        return;
      }
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const resp = await fetch(`${url}?${new URLSearchParams({ q: value })}`, {
          signal: controller.signal, headers: { Accept: "application/json" },
        });
        if (!resp.ok) return; // no suggestions is fine: the form still works
        const body = await resp.json();
        const found = Array.isArray(body.suggestions) ? body.suggestions : [];
        cache.set(value, found);
        // Typed on meanwhile: a newer request (or none, if empty) answers for the new text.
        if (input.value === value && document.activeElement === input && !dismissed) {
          show(value, found);
        }
      } catch (err) {
        if (err.name !== "AbortError") close();
      }
    }

    function pick(i) {
      input.value = options[i].dataset.value;
      close();
      clearTimeout(timer);
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }

    input.addEventListener("input", () => {
      dismissed = false;
      clearTimeout(timer);
      timer = setTimeout(load, DEBOUNCE_MS);
    });

    input.addEventListener("keydown", (event) => {
      if (event.isComposing) return;
      const expanded = !list.hidden;
      switch (event.key) {
        case "ArrowDown":
        case "ArrowUp": {
          if (!options.length) return;
          event.preventDefault();
          if (!expanded) {
            open();
            setActive(event.key === "ArrowDown" ? 0 : options.length - 1);
            return;
          }
          const step = event.key === "ArrowDown" ? 1 : -1;
          // Past either end goes back to the text as typed (no option active).
          let next = active + step;
          if (active === -1 && step === -1) next = options.length - 1;
          setActive(next >= options.length || next < 0 ? -1 : next);
          return;
        }
        case "Enter":
          if (expanded && active >= 0) {
            event.preventDefault();
            pick(active);
          } else {
            close();
          }
          return;
        case "Escape":
          if (expanded) {
            event.preventDefault(); // a search input would clear itself
            dismissed = true;
            close();
          }
          return;
        case "Tab":
          close();
          return;
        default:
      }
    });

    input.addEventListener("blur", close);
    // Keep the focus in the input while the pointer is on the list, so a click can pick.
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const li = event.target.closest("[role=option]");
      if (li) pick(options.indexOf(li));
    });
    // Back from the results page: do not show a stale open list.
    window.addEventListener("pageshow", close);
  }

  function start() {
    document.querySelectorAll("form.searchbox[data-suggest-url]").forEach(setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

// Filters: folded so the results come first, applied as soon as one changes. Without
// JavaScript "Apply" submits.
(() => {
  const MIN_YEAR = 1800; // a date input passes through years like 0002 while a year is typed

  function setUp(panel) {
    const form = panel.closest("form");
    panel.addEventListener("change", (event) => {
      const field = event.target;
      if (!field.name || !form) return;
      if (field.type === "date" && field.value &&
          !(Number(field.value.slice(0, 4)) >= MIN_YEAR)) return;
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    });
  }

  function start() {
    document.querySelectorAll("details.filters-panel").forEach(setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
