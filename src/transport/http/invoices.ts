import type { FastifyInstance } from "fastify";
import { invoiceStatus } from "../../core/invoice-status.js";
import { rfc3339 } from "../../core/payment-required.js";
import { formatCoins } from "../../money.js";
import type { HttpDeps } from "./deps.js";
import { sendError } from "./errors.js";

/** GET /invoices/:id — the decoded invoice and its status (unpaid / paid / redeemed / expired). */
export function invoiceRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Params: { id: string } }>("/invoices/:id", async (req, reply) => {
    const inv = deps.codec.verify(req.params.id);
    if (!inv) return sendError(reply, "INVOICE_NOT_FOUND", "Not an invoice issued by this gateway");
    const st = await invoiceStatus(inv, { chain: deps.chain, store: deps.store, payTo: deps.config.paymentAddress, denom: deps.config.denom, lateGraceSeconds: deps.config.lateGraceSeconds }, Math.floor(deps.clock() / 1000));
    return {
      invoiceId: inv.id, status: st.state,
      amount: formatCoins(inv.amountMicro), amountMicro: inv.amountMicro.toString(), currency: deps.config.currency, denom: deps.config.denom,
      address: deps.config.paymentAddress, network: deps.config.network,
      method: inv.method, route: inv.routeId, uses: inv.uses, usesLeft: st.usesLeft,
      expiresAt: rfc3339(inv.expiresAt), issueHeight: inv.issueHeight,
      txHash: st.txHash, paidMicro: st.paidMicro?.toString(),
      payments: st.payments.map((p) => ({
        txHash: p.txHash, height: p.height, blockTime: p.blockTime.toISOString(), status: p.status,
        amount: formatCoins(p.amountMicro), amountMicro: p.amountMicro.toString(), sender: p.sender,
      })),
    };
  });
}
