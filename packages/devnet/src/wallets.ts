/**
 * Deterministic funded test wallets. Wallet N has its own 24-word BIP39 mnemonic whose entropy is
 * sha256("gate402-devnet-wallet-N"); its address is the cosmjs default HD path m/44'/118'/0'/0/0 with
 * bech32 prefix "neutaro" — so `DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "neutaro" })`
 * yields exactly `address`.
 */
import { Bip39, EnglishMnemonic, Secp256k1, Slip10, Slip10Curve, sha256 } from "@cosmjs/crypto";
import { rawSecp256k1PubkeyToRawAddress, makeCosmoshubPath } from "@cosmjs/amino";
import { toBech32 } from "@cosmjs/encoding";

export interface DevnetWallet {
  /** "wallet0", "wallet1", … */
  readonly name: string;
  /** 24 English words */
  readonly mnemonic: string;
  /** bech32 account address with the devnet prefix */
  readonly address: string;
  /** N, the wallet's position */
  readonly index: number;
}

/** Mnemonic of wallet `index` (pure, stable across runs and machines). */
export function walletMnemonic(index: number): string {
  const entropy = sha256(new TextEncoder().encode(`gate402-devnet-wallet-${index}`));
  return Bip39.encode(entropy).toString();
}

const cache = new Map<string, string>();

/** Address of a mnemonic at m/44'/118'/0'/0/0 (cached: BIP39 seed derivation costs a few ms). */
export async function mnemonicAddress(mnemonic: string, prefix: string): Promise<string> {
  const key = `${prefix}|${mnemonic}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const seed = await Bip39.mnemonicToSeed(new EnglishMnemonic(mnemonic));
  const { privkey } = Slip10.derivePath(Slip10Curve.Secp256k1, seed, makeCosmoshubPath(0));
  const pubkey = Secp256k1.compressPubkey(Secp256k1.makeKeypair(privkey).pubkey);
  const address = toBech32(prefix, rawSecp256k1PubkeyToRawAddress(pubkey));
  cache.set(key, address);
  return address;
}

/** The first `count` deterministic wallets with `prefix` addresses. */
export async function makeWallets(count: number, prefix: string): Promise<DevnetWallet[]> {
  const wallets: DevnetWallet[] = [];
  for (let index = 0; index < count; index++) {
    const mnemonic = walletMnemonic(index);
    wallets.push({ name: `wallet${index}`, mnemonic, address: await mnemonicAddress(mnemonic, prefix), index });
  }
  return wallets;
}
