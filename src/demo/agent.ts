import { formatCoins } from "../money.js";
import { checkClient } from "../transport/envoy/client.js";
import type { DecodedCheckResponse } from "../transport/envoy/types.js";
import type { DemoPayer } from "./payer.js";

/** Where the demo agent talks to: gate402's gRPC Check (as Envoy would) and its HTTP API. */
export interface DemoTarget {
  readonly grpcAddress: string;
  readonly httpUrl: string;
}

type Say = (line: string) => void;

/** An Envoy-shaped CheckRequest for GET https://api.example.com<path>. */
function request(path: string, headers: Record<string, string> = {}): object {
  return {
    attributes: {
      source: { address: { socket_address: { address: "127.0.0.1", port_value: 50000 } } },
      request: {
        http: {
          method: "GET",
          path,
          host: "api.example.com",
          scheme: "https",
          headers: { ":authority": "api.example.com", ":method": "GET", ":path": path, ...headers },
        },
      },
      context_extensions: {},
    },
  };
}

function outcome(res: DecodedCheckResponse): { allowed: boolean; status: string; body: any; responseHeaders: Record<string, string> } {
  const ok = res.ok_response !== null && (res.status?.code ?? 0) === 0;
  const body = ok ? undefined : JSON.parse(String(res.denied_response?.body ?? "null"));
  const responseHeaders: Record<string, string> = {};
  for (const h of (res.ok_response?.response_headers_to_add ?? []) as { header?: { key: string; value: string } }[]) {
    if (h.header) responseHeaders[h.header.key] = h.header.value;
  }
  return { allowed: ok, status: ok ? "200 allowed" : `${String(res.denied_response?.status?.code)} ${body?.error}`, body, responseHeaders };
}

/** Unpaid → 402 → pay on chain → retry with X-Payment-Proof → allowed → replay → refused. */
async function payPerRequest(t: DemoTarget, payer: DemoPayer, say: Say): Promise<void> {
  const client = checkClient(t.grpcAddress);
  try {
    say("1. agent: GET /api/data (no payment)");
    const first = outcome(await client.check(request("/api/data")));
    const p = first.body.payment;
    say(`   gate402: ${first.status} — ${first.body.message}`);
    say(`   invoice ${p.invoiceId.slice(0, 24)}… pay ${p.amount} NTMPI to ${p.address}, memo = invoice id`);
    const tx = await payer.send(p.address, BigInt(p.amountMicro), p.memo);
    say(`2. agent: paid on chain with @cosmjs, tx ${tx.txHash} (height ${tx.height}, code ${tx.code})`);
    const proof = { "x-payment-proof": `${p.invoiceId}:${tx.txHash}` };
    const paid = outcome(await client.check(request("/api/data", proof)));
    const receipt = paid.responseHeaders["payment-response"];
    say(`3. agent: GET /api/data with X-Payment-Proof → ${paid.status}`);
    if (receipt) say(`   PAYMENT-RESPONSE: ${Buffer.from(receipt, "base64").toString()}`);
    const replay = outcome(await client.check(request("/api/data", proof)));
    say(`4. agent: replays the same proof → ${replay.status}`);
    if (!paid.allowed || replay.allowed) throw new Error("demo: pay-per-request flow did not behave as expected");
  } finally {
    client.close();
  }
}

async function post(url: string, body: unknown): Promise<any> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`demo: POST ${url} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Prepaid: create account → deposit on chain → credit → debit per request until the balance runs out. */
async function prepaid(t: DemoTarget, payer: DemoPayer, priceMicro: bigint, say: Say): Promise<void> {
  const acct = await post(`${t.httpUrl}/prepaid/accounts`, {});
  say(`5. agent: created prepaid account ${acct.clientId} (key shown once), deposit memo ${acct.depositMemo}`);
  const dep = await payer.send(acct.depositAddress, priceMicro * 3n, acct.depositMemo);
  const credited = await post(`${t.httpUrl}/prepaid/deposit`, { clientId: acct.clientId, txHash: dep.txHash });
  say(`6. agent: deposited ${formatCoins(priceMicro * 3n)} NTMPI (tx ${dep.txHash.slice(0, 12)}…) → balance ${credited.balance} NTMPI`);
  const client = checkClient(t.grpcAddress);
  try {
    for (let i = 1; i <= 4; i++) {
      const r = outcome(await client.check(request("/api/data", { "x-client-id": acct.clientId, "x-client-key": acct.clientKey })));
      const left = r.responseHeaders["x-prepaid-balance"];
      say(`7.${i} agent: GET /api/data with X-Client-Id/X-Client-Key → ${r.status}${left ? `, balance left ${left} NTMPI` : ""}`);
      if (i <= 3 !== r.allowed) throw new Error("demo: prepaid flow did not behave as expected");
    }
  } finally {
    client.close();
  }
}

/** Plays an AI agent against gate402 and prints the transcript through `say`. Throws if a step misbehaves. */
export async function runDemoAgent(t: DemoTarget, payer: DemoPayer, priceMicro: bigint, say: Say): Promise<void> {
  await payPerRequest(t, payer, say);
  await prepaid(t, payer, priceMicro, say);
}
