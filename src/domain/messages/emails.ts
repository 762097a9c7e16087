/**
 * The fan emails, as pure functions of what they say: plain text plus a simple HTML part. Receipts
 * (confirmation, hold won, payment, refund) are always sent; the others (reminder, expired) carry a
 * one-click unsubscribe (RFC 8058: List-Unsubscribe + List-Unsubscribe-Post).
 */
import type { StoredEvent } from "../../repository/messages/events";
import type { MailContext } from "../../repository/messages/webhooks";

export type EmailTemplate =
  | "confirmation"
  | "held"
  | "reminder"
  | "expired"
  | "receipt"
  | "refund"
  | "cancelled"
  | "fulfilled";

/** Which emails an event sends its fan (the reminder waits until shortly before the hold lapses). */
export function templatesFor(event: StoredEvent): EmailTemplate[] {
  switch (event.type) {
    case "order.created":
      return event.data.expiresAt ? [] : ["confirmation"];
    case "order.held":
      return ["held", "reminder"];
    case "order.expired":
      return ["expired"];
    case "order.paid":
      return ["receipt"];
    case "order.refunded":
      return ["refund"];
    case "order.cancelled":
      return ["cancelled"];
    case "order.fulfilled":
      return ["fulfilled"];
    default:
      return [];
  }
}

export const isReceipt = (template: EmailTemplate) => template !== "reminder" && template !== "expired";

/** A fan identity is an email address or a handle; only an address gets mail. */
export const emailAddressOf = (fan: unknown): string | undefined =>
  typeof fan === "string" && /^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$/.test(fan) ? fan : undefined;

export interface Email {
  subject: string;
  text: string;
  html: string;
}

export interface EmailLinks {
  /** The order's receipt page (also where a held order is paid). */
  receipt: string;
  /** One-click unsubscribe, for mail that is not a receipt. */
  unsubscribe?: string | undefined;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );

/** The email for `template` about `event`'s order. */
export function renderEmail(
  template: EmailTemplate,
  event: StoredEvent,
  context: MailContext,
  links: EmailLinks,
): Email {
  // On a drop of several sizes the unit is numbered within its size, so the size is named with it.
  const unit = event.variant ? `unit #${event.unitNo} (size ${event.variant.name})` : `unit #${event.unitNo}`;
  const drop = context.dropTitle;
  const price =
    typeof event.data.priceCents === "number"
      ? ` (${(event.data.priceCents / 100).toFixed(2)} ${context.currency})`
      : "";
  const lines: Record<EmailTemplate, { subject: string; body: string[]; link: string }> = {
    confirmation: {
      subject: `Your order: ${drop}, ${unit}`,
      body: [`You got ${unit} of ${drop}${price}.`, "Keep this email: the link below is your receipt."],
      link: "Your receipt",
    },
    held: context.claimOnly
      ? {
          subject: `${drop}: ${unit} is yours to claim`,
          body: [
            `A unit of ${drop} came back and it is your turn: ${unit}${price} is held for you.`,
            "Claim it before the offer runs out; if you pass or let it run out, it goes to the next fan in line.",
          ],
          link: "Claim your unit",
        }
      : {
          subject: `${drop}: ${unit} is held for you`,
          body: [
            `You won ${unit} of ${drop}${price}.`,
            "It is held for you until you pay; pay before the hold runs out.",
          ],
          link: "Pay for your order",
        },
    reminder: context.claimOnly
      ? {
          subject: `${drop}: your offer of ${unit} is about to run out`,
          body: [`Your offer of ${unit} of ${drop} runs out soon.`, "Claim it now to keep it."],
          link: "Claim your unit",
        }
      : {
          subject: `${drop}: your hold on ${unit} is about to run out`,
          body: [`Your hold on ${unit} of ${drop} runs out soon.`, "Pay now to keep it."],
          link: "Pay for your order",
        },
    expired: context.claimOnly
      ? {
          subject: `${drop}: your offer of ${unit} ran out`,
          body: [
            `Your offer of ${unit} of ${drop} ran out before it was claimed, and went to the next fan in line.`,
          ],
          link: "See your order",
        }
      : {
          subject: `${drop}: your hold on ${unit} ran out`,
          body: [
            `Your hold on ${unit} of ${drop} ran out before it was paid, and the unit went back on sale.`,
          ],
          link: "See your order",
        },
    receipt: {
      subject: `Payment received: ${drop}, ${unit}`,
      body: [`Thank you: your payment for ${unit} of ${drop}${price} went through.`, "The unit is yours."],
      link: "Your receipt",
    },
    refund: {
      subject: `Refunded: ${drop}, ${unit}`,
      body: [
        event.data.by === "seller"
          ? `${context.shopName} refunded your payment for ${unit} of ${drop}${price} in full.`
          : `Your payment for ${unit} of ${drop} came after the hold had ended, so it was refunded in full.`,
      ],
      link: "See your order",
    },
    cancelled: {
      subject: `Cancelled: ${drop}, ${unit}`,
      body: [`${context.shopName} cancelled your order for ${unit} of ${drop}.`],
      link: "See your order",
    },
    fulfilled: {
      subject: `On its way: ${drop}, ${unit}`,
      body: [
        `${context.shopName} has sent ${unit} of ${drop}.`,
        ...(typeof event.data.trackingUrl === "string" ? [`Track it: ${event.data.trackingUrl}`] : []),
      ],
      link: "Your receipt",
    },
  };
  const { subject, body, link } = lines[template];
  const footer = links.unsubscribe ? [`Don't want these reminders? Unsubscribe: ${links.unsubscribe}`] : [];
  const text = [...body, "", `${link}: ${links.receipt}`, "", `— ${context.shopName}`, ...footer].join("\n");
  const html = [
    ...body.map((line) => `<p>${escapeHtml(line)}</p>`),
    `<p><a href="${escapeHtml(links.receipt)}">${escapeHtml(link)}</a></p>`,
    `<p>— ${escapeHtml(context.shopName)}</p>`,
    ...(links.unsubscribe
      ? [
          `<p style="font-size:small"><a href="${escapeHtml(links.unsubscribe)}">Unsubscribe from reminders</a></p>`,
        ]
      : []),
  ].join("\n");
  return { subject, text, html };
}
