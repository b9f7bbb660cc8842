// Your account: who you are, your password, your API tokens (a new token is shown once), and
// logging out.

import { $, api, confirmDialog, dialog, icon, pageData, patchList, toast } from "../app.js";
import { actions, dateLabel, onSubmit } from "../admin-forms.js";

const rows = $("[data-rows]");
const empty = $("[data-empty]");
let tokens = (pageData.data || {}).tokens || [];

/** A token row; mirrors decorate_token in src/server/WebUi.cpp. */
function decorateToken(t) {
  const revoked = t.revoked === true;
  const expired = Number(t.expires_at) > 0 && Number(t.expires_at) < Date.now();
  return {
    id: Math.trunc(Number(t.id) || 0),
    name: String(t.name || ""),
    prefix: String(t.prefix || ""),
    created_label: dateLabel(t.created_at),
    last_used_label: dateLabel(t.last_used_at, "never"),
    last_used_ip: String(t.last_used_ip || ""),
    expires_label: dateLabel(t.expires_at, "never"),
    revoked,
    expired: expired && !revoked,
    active: !revoked && !expired,
  };
}

function draw() {
  patchList(rows, tokens.map(decorateToken), "account_token");
  empty.hidden = tokens.length > 0;
}

async function reload() {
  tokens = (await api("GET", "/api/tokens")).tokens || [];
  draw();
}

// Shows a new token once, with a button that copies it.
function showToken(token) {
  const body = document.createElement("div");
  body.className = "adm-form";
  body.innerHTML = `<p class="muted">Copy it now: it is not shown again. Only a hash is kept.</p>
    <div class="adm-secret"><code data-secret></code>
    <button class="btn" type="button" data-copy>${icon("copy")}<span>Copy</span></button></div>`;
  $("[data-secret]", body).textContent = token;
  const copy = $("[data-copy]", body);
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(token);
      copy.lastElementChild.textContent = "Copied";
    } catch {
      // No clipboard (plain HTTP): select the text so Ctrl+C works.
      const range = document.createRange();
      range.selectNodeContents($("[data-secret]", body));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      toast("Press Ctrl+C to copy the selected token", "info");
    }
  });
  return dialog({ title: "Your new API token", body, buttons: [{ label: "Done", value: null }] });
}

onSubmit($("[data-form=token]"), async ({ name, expires_days }, form) => {
  if (!name.trim()) throw new Error("name: give the token a name");
  const r = await api("POST", "/api/tokens", { name: name.trim(), expires_days: Number(expires_days) });
  form.elements.name.value = "";
  await reload().catch(() => {});
  await showToken(r.token);
});

const pwForm = $("[data-form=password]");
if (pwForm) {
  onSubmit(pwForm, async ({ current, password, confirm }, form) => {
    if (password.length < 10) throw new Error("password: at least 10 characters");
    if (password !== confirm) throw new Error("confirm: the two new passwords differ");
    await api("PUT", "/api/session/password", { current, password });
    form.reset();
    toast("Password changed; your other sessions were signed out", "success");
  });
}

actions(document.querySelector("main"), {
  "token-revoke": async (btn) => {
    const id = Number(btn.closest("[data-token-id]").dataset.tokenId);
    const t = tokens.find((x) => x.id === id);
    const ok = await confirmDialog({
      title: `Revoke ${t ? t.name : "the token"}?`,
      message: "Scripts using it stop working at once.",
      confirm: "Revoke",
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `/api/tokens/${id}`);
      toast("Token revoked", "success");
      await reload();
    } catch (err) {
      toast(err.message, "error");
    }
  },
  "account-logout": async () => {
    try {
      await api("DELETE", "/api/session");
    } catch (err) {
      if (err.status !== 401) {
        toast(`Could not log out: ${err.message}`, "error");
        return;
      }
    }
    window.location.assign("/login");
  },
});
