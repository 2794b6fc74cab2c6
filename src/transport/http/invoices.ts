import type { FastifyInstance } from "fastify";
import { invoiceStatus } from "../../core/invoice-status.js";
import { rfc3339 } from "../../core/payment-required.js";
import { formatAmount } from "../../money.js";
import type { HttpDeps } from "./deps.js";
import { sendError } from "./errors.js";

/** GET /invoices/:id — the decoded invoice and its status (unpaid / paid / redeemed / expired). */
export function invoiceRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Params: { id: string } }>("/invoices/:id", async (req, reply) => {
    const inv = deps.codec.verify(req.params.id);
    if (!inv) return sendError(reply, "INVOICE_NOT_FOUND", "Not an invoice issued by this gateway");
    // The invoice's own asset: its network's chain, payTo and denom (docs/design.md "Assets").
    const asset = deps.config.assets.find((a) => a.network === inv.network && a.denom === inv.denom);
    const chain = inv.network === deps.config.network ? deps.chain : deps.chainFor?.(inv.network);
    if (!asset || !chain) return sendError(reply, "INVOICE_NOT_FOUND", "Not an invoice issued by this gateway");
    const where = { chain, store: deps.store, payTo: inv.payTo, denom: inv.denom, lateGraceSeconds: deps.config.lateGraceSeconds };
    const st = await invoiceStatus(inv, where, Math.floor(deps.clock() / 1000));
    const amount = (micro: bigint) => formatAmount(micro, asset.decimals);
    return {
      invoiceId: inv.id,
      status: st.state,
      amount: amount(inv.amountMicro),
      amountMicro: inv.amountMicro.toString(),
      currency: asset.name,
      denom: inv.denom,
      address: inv.payTo,
      network: inv.network,
      method: inv.method,
      route: inv.routeId,
      uses: inv.uses,
      usesLeft: st.usesLeft,
      expiresAt: rfc3339(inv.expiresAt),
      issueHeight: inv.issueHeight,
      txHash: st.txHash,
      paidMicro: st.paidMicro?.toString(),
      payments: st.payments.map((p) => ({
        txHash: p.txHash,
        height: p.height,
        blockTime: p.blockTime.toISOString(),
        status: p.status,
        amount: amount(p.amountMicro),
        amountMicro: p.amountMicro.toString(),
        sender: p.sender,
      })),
    };
  });
}
