/** The fairness emails (codes, notify-me), as pure functions of what they say: plain text plus HTML. */

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

export interface FairnessEmail {
  fromName: string;
  subject: string;
  text: string;
  html: string;
}

/** The six-digit code that proves a fan's address. */
export function codeEmail(code: string, siteName: string): FairnessEmail {
  const lines = [
    `Your code is ${code}.`,
    "Type it on the drop page (or send it to the API) within 10 minutes.",
    "If you did not ask for it, ignore this email: nothing happens without the code.",
  ];
  return {
    fromName: siteName,
    subject: `${code} is your ${siteName} code`,
    text: [...lines, "", `— ${siteName}`].join("\n"),
    html: [...lines.map((l) => `<p>${escapeHtml(l)}</p>`), `<p>— ${escapeHtml(siteName)}</p>`].join("\n"),
  };
}

/** The first notify-me email: a link that confirms the address. */
export function confirmNotifyEmail(
  drop: { title: string; shopName: string },
  confirmUrl: string,
): FairnessEmail {
  const lines = [
    `You asked to be emailed when ${drop.title} goes live.`,
    "Confirm it is your address, and we will send you one email at go-live:",
  ];
  return {
    fromName: drop.shopName,
    subject: `Confirm: email me when ${drop.title} goes live`,
    text: [...lines, confirmUrl, "", "Did not ask? Ignore this email.", `— ${drop.shopName}`].join("\n"),
    html: [
      ...lines.map((l) => `<p>${escapeHtml(l)}</p>`),
      `<p><a href="${escapeHtml(confirmUrl)}">Confirm my email</a></p>`,
      "<p>Did not ask? Ignore this email.</p>",
      `<p>— ${escapeHtml(drop.shopName)}</p>`,
    ].join("\n"),
  };
}

/** The go-live email, once per confirmed fan. */
export function liveEmail(
  drop: { title: string; shopName: string },
  dropUrl: string,
  unsubscribeUrl: string,
): FairnessEmail {
  const lines = [`${drop.title} is live now.`, "Open the drop page:"];
  return {
    fromName: drop.shopName,
    subject: `${drop.title} is live`,
    text: [
      ...lines,
      dropUrl,
      "",
      `— ${drop.shopName}`,
      `Don't want these emails? Unsubscribe: ${unsubscribeUrl}`,
    ].join("\n"),
    html: [
      ...lines.map((l) => `<p>${escapeHtml(l)}</p>`),
      `<p><a href="${escapeHtml(dropUrl)}">Go to the drop</a></p>`,
      `<p>— ${escapeHtml(drop.shopName)}</p>`,
      `<p style="font-size:small"><a href="${escapeHtml(unsubscribeUrl)}">Unsubscribe</a></p>`,
    ].join("\n"),
  };
}
