// Settings: the public site settings (superadmin) and the server's read-only facts.

import { $, api, pageData, toast } from "../app.js";
import { onSubmit } from "../admin-forms.js";

const form = $("[data-form=settings]");
const picker = $("[data-accent-picker]");
const HEX = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i;

function sixDigits(hex) {
  const h = hex.replace("#", "");
  return `#${h.length === 3 ? h.replace(/./g, "$&$&") : h}`.toLowerCase();
}

picker.addEventListener("input", () => {
  form.elements.accent.value = picker.value;
});
form.elements.accent.addEventListener("input", () => {
  const v = form.elements.accent.value.trim();
  if (HEX.test(v)) picker.value = sixDigits(v);
});

// The accent applies to this page at once: the generated theme stylesheet is swapped.
function applyAccent(accent) {
  let link = document.querySelector('link[href^="/assets/theme.css"]');
  if (!accent) {
    link?.remove();
    return;
  }
  if (!link) {
    link = document.createElement("link");
    link.rel = "stylesheet";
    document.head.append(link);
  }
  link.href = `/assets/theme.css?accent=${sixDigits(accent).slice(1)}`;
}

if ((pageData.data || {}).can_edit) {
  onSubmit(form, async (v) => {
    const site = {
      title: v.title.trim(),
      tagline: v.tagline.trim(),
      description: v.description.trim(),
      accent: v.accent.trim(),
    };
    if (!site.title) throw new Error("title: the site needs a title");
    if (site.accent && !HEX.test(site.accent)) throw new Error("accent: a hex colour such as #ff7a1a");
    if (site.accent) site.accent = sixDigits(site.accent);
    await api("PUT", "/api/settings", { site });
    applyAccent(site.accent);
    for (const el of document.querySelectorAll(".brand-name")) el.firstChild.textContent = site.title;
    toast("Site settings saved", "success");
  });
} else {
  form.addEventListener("submit", (e) => e.preventDefault());
}
