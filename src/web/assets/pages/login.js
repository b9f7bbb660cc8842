// The sign-in form: POST /api/session, then on to the page that sent us here.

import { $, api, pageData } from "../app.js";

const form = $("[data-login]");
const error = $("[data-error]", form);
const submit = $("[data-submit]", form);
const next = (pageData.data || {}).next || "/admin";

function fail(message) {
  error.textContent = message;
  error.hidden = false;
  submit.disabled = false;
  submit.textContent = "Sign in";
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  if (!username || !password) {
    fail("Enter your user name and password.");
    (username ? form.elements.password : form.elements.username).focus();
    return;
  }
  error.hidden = true;
  submit.disabled = true;
  submit.textContent = "Signing in…";
  try {
    await api("POST", "/api/session", { username, password });
    window.location.assign(next);
  } catch (err) {
    form.elements.password.value = "";
    form.elements.password.focus();
    if (err.status === 401) {
      fail("Wrong user name or password.");
    } else if (err.status === 403 || err.status === 429) {
      fail(`Sign-in refused: ${err.message}. Too many failed attempts lock an address out for a while; try again later.`);
    } else if (err.status === 0) {
      fail("Cannot reach the server. If there were several failed attempts from this address, it may be locked out for a while.");
    } else if (err.status === 404) {
      fail("This server does not support signing in to the studio yet.");
    } else {
      fail(`Sign-in failed: ${err.message}`);
    }
  }
});
