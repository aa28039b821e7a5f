// The checkout page: one Idempotency-Key per checkout attempt, kept in localStorage so that
// a double click, a reload during the request or a second tab all send the same key.
//
// The rule:
//  - An attempt is {key, body, phase, attempts, result}. There is one current attempt per
//    browser profile and site (localStorage), shared by every tab.
//  - Pay in phase "ready" fixes the body and moves to "paying"; from then on the form shows the
//    attempt's details, locked. Every send of this attempt, from any tab, uses its key and body.
//  - A tab that loads while the attempt is "paying" (a reload, a second tab) resumes it: it sends
//    the same key again; the server replays the first answer or says 409 + Retry-After.
//  - The phase ends with an answer: "paid" (2xx), "refused" (a final 4xx, stored by the server,
//    so sending again replays it) or "unknown" (no answer after the retries). Only then does
//    "New payment" appear, and only it makes a new key.
'use strict';

const Checkout = (() => {
  const STORE = 'semel.checkout.attempt';
  const FLAKY = 'semel.checkout.flaky';
  const MAX_ATTEMPTS = 8;
  const MAX_WAIT_MS = 5000;
  const ATTEMPT_TIMEOUT_MS = 15000;

  /** A random UUID (crypto.randomUUID needs a secure context; getRandomValues does not). */
  function newKey() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Milliseconds a Retry-After value asks for (seconds or an HTTP date), or null. */
  function retryAfterMs(value, now = Date.now()) {
    if (value == null) return null;
    const v = String(value).trim();
    if (/^\d+$/.test(v)) return Number(v) * 1000;
    const date = Date.parse(v);
    return Number.isNaN(date) ? null : Math.max(0, date - now);
  }

  /**
   * Whether to send the attempt again and after how long: null for a final outcome or when the
   * attempts are used up. outcome is {network: true} or {status, retryAfter}.
   */
  function retryDelay(outcome, attemptNumber, random = Math.random) {
    if (attemptNumber >= MAX_ATTEMPTS) return null;
    const backoff = Math.min(3000, 200 * 2 ** (attemptNumber - 1)) * (0.5 + random() / 2);
    if (outcome.network) return backoff;
    const asked = retryAfterMs(outcome.retryAfter);
    if ([502, 503, 504].includes(outcome.status)) return Math.min(MAX_WAIT_MS, asked ?? backoff);
    if ((outcome.status === 409 || outcome.status === 429) && asked != null) return Math.min(MAX_WAIT_MS, asked);
    return null;
  }

  /** The phase an answer ends the attempt in (for answers retryDelay gave up on). */
  function phaseOf(outcome) {
    if (outcome.network) return 'unknown';
    if (outcome.status >= 200 && outcome.status < 300) return 'paid';
    if (outcome.status >= 400 && outcome.status < 500 && ![408, 409, 425, 429].includes(outcome.status)) return 'refused';
    return 'unknown';
  }

  return { newKey, retryAfterMs, retryDelay, phaseOf, STORE, FLAKY, MAX_ATTEMPTS, ATTEMPT_TIMEOUT_MS };
})();

if (typeof document !== 'undefined' && document.getElementById('checkout')) {
  (() => {
    const $ = id => document.getElementById(id);
    const form = $('checkout');
    const fields = ['amount', 'currency', 'recipient'].map($);
    const payButton = $('pay');
    const flaky = $('flaky');
    const tabId = Checkout.newKey().slice(0, 8);
    let inFlight = false;      // this tab is sending the attempt right now
    let proxy = null;          // {port, dropRate} of the flaky-network proxy, when the server runs one
    let memory = null;         // the attempt, when localStorage is unavailable

    // ---- the shared attempt -------------------------------------------------------------
    function load() {
      try {
        const raw = localStorage.getItem(Checkout.STORE);
        return raw ? JSON.parse(raw) : memory;
      } catch (e) {
        return memory;
      }
    }

    function save(attempt) {
      memory = attempt;
      try {
        localStorage.setItem(Checkout.STORE, JSON.stringify(attempt));
      } catch (e) {
        // storage full or blocked: this tab still works, other tabs and reloads will not see it
      }
    }

    function fresh() {
      return { key: Checkout.newKey(), body: null, phase: 'ready', attempts: [], result: null };
    }

    /** The current attempt, made if there is none. */
    function current() {
      let attempt = load();
      if (!attempt || !attempt.key) {
        attempt = fresh();
        save(attempt);
      }
      return attempt;
    }

    /**
     * Changes the stored attempt under key: re-read first, so that tabs writing in turn do not
     * undo each other's answers; an answer already stored is never taken back to "paying".
     */
    function update(key, change) {
      const attempt = load();
      if (!attempt || attempt.key !== key) return null; // replaced by "New payment" elsewhere
      change(attempt);
      save(attempt);
      return attempt;
    }

    // ---- sending ------------------------------------------------------------------------
    function sendOnce(attempt, number, via) {
      const base = via === 'flaky proxy' && proxy ? `${location.protocol}//${location.hostname}:${proxy.port}` : '';
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), Checkout.ATTEMPT_TIMEOUT_MS);
      return fetch(`${base}/payments`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': attempt.key, 'Accept': 'application/json' },
        body: JSON.stringify(attempt.body),
        credentials: 'omit',
        cache: 'no-store',
        signal: controller.signal,
      }).then(async response => {
        const text = await response.text();
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        return {
          status: response.status,
          replayed: response.headers.get('Idempotent-Replayed') === 'true',
          retryAfter: response.headers.get('Retry-After'),
          json,
        };
      }, error => ({ network: true, error: controller.signal.aborted ? 'timed out' : String(error.message || error) }))
        .finally(() => clearTimeout(timer));
    }

    async function run(key, why) {
      if (inFlight) return;
      inFlight = true;
      render();
      try {
        for (let n = 1; ; n++) {
          const attempt = load();
          if (!attempt || attempt.key !== key || attempt.phase !== 'paying') return;
          const via = flaky.checked && proxy ? 'flaky proxy' : 'direct';
          const number = attempt.attempts.length + 1;
          update(key, a => a.attempts.push({ number, tab: tabId, via, note: n === 1 ? why : null, at: new Date().toISOString() }));
          render();
          const outcome = await sendOnce(attempt, number, via);
          const delay = Checkout.retryDelay(outcome, n);
          update(key, a => {
            const entry = a.attempts.find(x => x.number === number && x.tab === tabId);
            if (entry) Object.assign(entry, {
              status: outcome.status ?? null, replayed: !!outcome.replayed, error: outcome.error ?? null,
              retryAfter: outcome.retryAfter ?? null, retryIn: delay,
            });
            if (delay == null && a.phase === 'paying') {
              a.phase = Checkout.phaseOf(outcome);
              a.result = { status: outcome.status ?? null, replayed: !!outcome.replayed, body: outcome.json, error: outcome.error ?? null };
            }
          });
          render();
          refreshPayments();
          if (delay == null) return;
          await new Promise(resolve => setTimeout(resolve, delay));
        }
      } finally {
        inFlight = false;
        render();
      }
    }

    function pay(event) {
      if (event) event.preventDefault();
      if (inFlight) {
        note('Already sending this attempt: the click is not sent again.');
        return;
      }
      const attempt = current();
      if (attempt.phase === 'paid') {
        render();
        return;
      }
      if (attempt.phase === 'ready') {
        update(attempt.key, a => {
          a.body = { amount: amountValue($('amount').value), currency: $('currency').value, recipient: $('recipient').value.trim() };
          a.amountText = $('amount').value.trim();
          a.phase = 'paying';
        });
        run(attempt.key, 'Pay');
      } else {
        // paying in another tab, refused, or unknown: the same attempt again, same key, same body
        update(attempt.key, a => { a.phase = 'paying'; });
        run(attempt.key, attempt.phase === 'paying' ? 'Pay (joins the attempt in progress)' : 'sent again with the same key');
      }
    }

    /** The amount as a JSON number when it reads as one, so the server's validation speaks to it. */
    function amountValue(text) {
      const t = text.trim().replace(',', '.');
      return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
    }

    function newPayment() {
      const attempt = load();
      if (attempt && attempt.phase === 'paying') return;
      save(fresh());
      render();
      $('amount').focus();
    }

    // ---- showing it ---------------------------------------------------------------------
    let transient = null;
    function note(text) {
      transient = text;
      render();
    }

    function describe(attempt) {
      const body = attempt.body || {};
      const amount = typeof body.amount === 'number' ? body.amount.toFixed(2) : body.amount;
      const what = body.amount != null ? `${amount} ${body.currency} to ${body.recipient}` : '';
      const r = attempt.result || {};
      const replay = r.replayed ? ' Idempotent-Replayed: true — the server had already done this; the retry got the first answer.' : '';
      switch (attempt.phase) {
        case 'ready': return 'Ready: this checkout attempt has a key; Pay sends it.';
        case 'paying': return inFlight ? `Paying ${what}…` : `Being paid ${what} (by another tab or before a reload). Pay joins it with the same key.`;
        case 'paid': return `Paid ${what}: payment ${r.body && r.body.id ? r.body.id : ''} (${r.status}).${replay}`;
        case 'refused': {
          const p = r.body || {};
          const detail = p.errors ? ' ' + (Array.isArray(p.errors) ? p.errors.map(e => `${e.field}: ${e.message}`) : Object.entries(p.errors).map(([f, m]) => `${f}: ${m}`)).join('; ') : '';
          return `Not paid: ${r.status} ${p.title || ''}. ${p.detail || ''}${detail} The answer is stored: sending this attempt again replays it.${replay}`;
        }
        default: return `No final answer after ${attempt.attempts.length} attempts${r.status ? ` (last: ${r.status})` : ''}. The payment may or may not have been made: trying again with the same key is safe, it charges at most once.`;
      }
    }

    function render() {
      const attempt = current();
      const phase = attempt.phase;
      const locked = phase !== 'ready';
      if (locked && attempt.body) {
        $('amount').value = attempt.amountText ?? attempt.body.amount;
        $('currency').value = attempt.body.currency;
        $('recipient').value = attempt.body.recipient;
      }
      for (const field of fields) field.disabled = locked;
      for (const chip of document.querySelectorAll('.chip')) chip.disabled = locked;
      payButton.disabled = inFlight || phase === 'paid';
      payButton.textContent = inFlight ? 'Paying…'
        : { ready: 'Pay', paying: 'Pay (same attempt)', paid: 'Paid ✓', refused: 'Send again (same key)', unknown: 'Try again (same key)' }[phase];
      const status = $('status');
      status.dataset.phase = inFlight ? 'paying' : phase;
      $('status-text').textContent = (transient ? transient + ' ' : '') + describe(attempt);
      transient = null;
      $('key').textContent = attempt.key;
      $('new-payment').hidden = phase === 'ready' || phase === 'paying';
      const list = $('attempts');
      list.replaceChildren(...attempt.attempts.map(a => {
        const li = document.createElement('li');
        li.dataset.status = a.status ?? (a.error ? 'network' : 'pending');
        if (a.replayed) li.dataset.replayed = 'true';
        const answer = a.status != null ? `${a.status}${a.replayed ? ' · Idempotent-Replayed: true' : ''}${a.retryAfter ? ` · Retry-After: ${a.retryAfter}` : ''}`
          : a.error ? `no answer (${a.error})` : 'waiting…';
        const retry = a.retryIn != null ? ` → retry in ${(a.retryIn / 1000).toFixed(1)} s` : '';
        li.textContent = `#${a.number} ${a.via}${a.note ? ` (${a.note})` : ''}: ${answer}${retry}`;
        return li;
      }));
    }

    // ---- the live list ------------------------------------------------------------------
    let refreshing = false;
    async function refreshPayments() {
      if (refreshing) return;
      refreshing = true;
      try {
        const response = await fetch('/payments?limit=10', { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'omit' });
        if (!response.ok) return;
        const payments = await response.json();
        const mine = (load() || {}).result?.body?.id;
        $('payments').replaceChildren(...payments.map(p => {
          const li = document.createElement('li');
          li.dataset.id = p.id;
          if (p.id === mine) li.classList.add('mine');
          const time = new Date(p.createdAt).toLocaleTimeString();
          li.innerHTML = '<span class="amount"></span> <span class="to"></span><span class="meta"></span>';
          li.querySelector('.amount').textContent = `${Number(p.amount).toFixed(2)} ${p.currency}`;
          li.querySelector('.to').textContent = `→ ${p.recipient}`;
          li.querySelector('.meta').textContent = `${p.status} · ${time} · ${p.id.slice(0, 8)}`;
          return li;
        }));
      } catch (e) {
        // the list is best effort; the next refresh tries again
      } finally {
        refreshing = false;
      }
    }

    // ---- wiring -------------------------------------------------------------------------
    form.addEventListener('submit', pay);
    $('new-payment').addEventListener('click', newPayment);
    for (const chip of document.querySelectorAll('.chip')) {
      chip.addEventListener('click', () => {
        const prefix = chip.dataset.recipient;
        // flaky- fails only the first charge per name: a fresh name shows it every time
        $('recipient').value = prefix.endsWith('-') ? prefix + Checkout.newKey().slice(0, 6) : prefix;
        payButton.focus();
      });
    }
    try { flaky.checked = localStorage.getItem(Checkout.FLAKY) === 'true'; } catch (e) { /* default off */ }
    flaky.addEventListener('change', () => {
      try { localStorage.setItem(Checkout.FLAKY, String(flaky.checked)); } catch (e) { /* this tab only */ }
    });
    window.addEventListener('storage', event => {
      if (event.key === Checkout.STORE && !inFlight) render();
    });

    fetch('/demo/flaky-network', { cache: 'no-store' })
      .then(r => (r.ok ? r.json() : null))
      .then(p => {
        proxy = p;
        if (!proxy) {
          flaky.checked = false;
          flaky.disabled = true;
          $('flaky-help').textContent = 'Not available: the server runs no flaky-network proxy (payments.flaky-network.enabled=false).';
        } else {
          $('flaky-help').textContent = `Sends the payment through a proxy on port ${proxy.port} that drops about ${Math.round(proxy.dropRate * 100)}% of the answers after the server processed them.`;
        }
      })
      .catch(() => { proxy = null; })
      .finally(() => {
        document.body.dataset.ready = 'true';
        const attempt = current();
        if (attempt.phase === 'paying') {
          // Sends this page did not see answered: the page that made them was reloaded or is another tab.
          update(attempt.key, a => a.attempts.forEach(x => {
            if (x.status == null && x.error == null) x.error = 'sent before a reload or by another tab, its answer not seen here';
          }));
          run(attempt.key, 'resumed after a reload or in a new tab');
        }
      });

    render();
    refreshPayments();
    setInterval(refreshPayments, 2000);
  })();
}

if (typeof module !== 'undefined') module.exports = Checkout;
