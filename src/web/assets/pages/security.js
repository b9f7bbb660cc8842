// Security (admin): bans and the allow list, lockouts and the watch list, the audit log with a
// category filter and "older" paging.

import { $, api, confirmDialog, pageData, patchList, toast } from "../app.js";
import { actions, busy, dateLabel, onSubmit } from "../admin-forms.js";

const data = pageData.data || {};
const PAGE = Number(data.audit_page) || 50;
let rules = data.rules || [];
let audit = data.audit || [];
let category = data.category || "";

const SOURCES = { login_lockout: "failed logins", scan_lockout: "scanning", config: "config file" };

/** A rule row; mirrors decorate_rule in src/server/WebUi.cpp. */
function decorateRule(r) {
  const removable = Number.isFinite(r.id);
  return {
    key: removable ? String(r.id) : `config-${r.network}`,
    id: removable ? r.id : null,
    removable,
    kind: String(r.kind || ""),
    is_ban: r.kind === "ban",
    network: String(r.network || ""),
    reason: String(r.reason || ""),
    source_label: SOURCES[r.source] || "manual",
    created_label: dateLabel(r.created_at),
    expires_label: dateLabel(r.expires_at, "never"),
    created_by: String(r.created_by || ""),
  };
}

/** An audit row; mirrors decorate_audit. */
function decorateAudit(e) {
  const d = e.detail;
  let detail = "";
  if (typeof d === "string") detail = d;
  else if (d && typeof d === "object" && Object.keys(d).length > 0) detail = JSON.stringify(d);
  return {
    id: e.id,
    at_label: dateLabel(e.at),
    username: String(e.username || ""),
    ip: String(e.ip || ""),
    category: String(e.category || ""),
    action: String(e.action || ""),
    target: String(e.target || ""),
    detail,
  };
}

function drawList(name, items, partial, decorate) {
  patchList($(`[data-${name}]`), items.map(decorate), partial);
  $(`[data-${name}-empty]`).hidden = items.length > 0;
}

const drawRules = () => drawList("rules", rules, "security_rule", decorateRule);
const drawAudit = () => drawList("audit", audit, "security_audit", decorateAudit);

async function reloadRules() {
  rules = (await api("GET", "/api/security/rules")).rules || [];
  drawRules();
}

async function reloadLockouts() {
  const r = await api("GET", "/api/security/lockouts");
  drawList("lockouts", r.lockouts || [], "security_rule", decorateRule);
  drawList("watch", r.watch || [], "security_watch", (w) => ({
    ip: String(w.ip || ""),
    login_failures: Number(w.login_failures) || 0,
    unknown_paths: Number(w.unknown_paths) || 0,
  }));
}

async function loadAudit(older) {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (category) q.set("category", category);
  if (older && audit.length) q.set("before", String(audit[audit.length - 1].id));
  const entries = (await api("GET", `/api/audit?${q}`)).entries || [];
  audit = older ? audit.concat(entries) : entries;
  drawAudit();
  $("[data-audit-more-box]").hidden = entries.length < PAGE;
}

onSubmit($("[data-form=rule]"), async (v, form) => {
  if (!v.network.trim()) throw new Error("network: enter an address (203.0.113.7) or a network (203.0.113.0/24)");
  const body = { kind: v.kind, network: v.network.trim(), reason: v.reason.trim() };
  if (v.expires_minutes !== null) body.expires_minutes = v.expires_minutes;
  await api("POST", "/api/security/rules", body);
  toast(`${v.kind === "ban" ? "Banned" : "Allowed"} ${body.network}`, "success");
  form.elements.network.value = "";
  form.elements.reason.value = "";
  await reloadRules();
});

$("[data-audit-category]").addEventListener("change", (e) => {
  category = e.target.value;
  const url = new URL(window.location.href);
  if (category) url.searchParams.set("category", category);
  else url.searchParams.delete("category");
  history.replaceState(null, "", url);
  loadAudit(false).catch((err) => toast(err.message, "error"));
});

actions(document.querySelector("main"), {
  "rule-delete": async (btn) => {
    const row = btn.closest("tr");
    const network = row.querySelector("code").textContent;
    const ok = await confirmDialog({
      title: `Remove the rule for ${network}?`,
      message: "It stops applying to new connections at once.",
      confirm: "Remove",
      danger: true,
    });
    if (!ok) return;
    await busy(btn, async () => {
      await api("DELETE", `/api/security/rules/${row.dataset.ruleId}`);
      toast(`Rule for ${network} removed`, "success");
      await Promise.all([reloadRules(), reloadLockouts()]);
    });
  },
  "lockouts-refresh": (btn) => busy(btn, reloadLockouts),
  "audit-older": (btn) => busy(btn, () => loadAudit(true)),
});
