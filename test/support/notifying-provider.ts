import {
  type PaymentProvider,
  type PaymentState,
  TestPaymentProvider,
} from "../../src/domain/checkout/payments";

/**
 * The test provider, with notifications: a notification's body is the payment itself as JSON (what a
 * verified webhook tells us), "" is one about no payment. The built-in test provider refuses every
 * notification as unsigned, so the webhook path of checkout (`notify`) needs this to be reached.
 */
export class NotifyingProvider implements PaymentProvider {
  readonly name = "notifying";
  readonly inner = new TestPaymentProvider();
  createPayment: PaymentProvider["createPayment"] = (request, details) =>
    this.inner.createPayment(request, details);
  confirmPayment: PaymentProvider["confirmPayment"] = (id) => this.inner.confirmPayment(id);
  refund: PaymentProvider["refund"] = (id) => this.inner.refund(id);
  findPayment: PaymentProvider["findPayment"] = (lookup) => this.inner.findPayment(lookup);
  async handleNotification(body: string): Promise<PaymentState | undefined> {
    return body === "" ? undefined : (JSON.parse(body) as PaymentState);
  }
}
