/** What every seller page passes to the shared Layout: who is signed in and the browser's form token. */
export interface SellerShell {
  sellerName?: string | undefined;
  csrfToken: string;
}
