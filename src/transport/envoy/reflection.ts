/**
 * gRPC server reflection for the ext_authz server (@grpc/reflection), fed descriptors a client can link.
 *
 * proto-loader hands out one FileDescriptorProto per package (`envoy_service_auth_v3.proto` …) with
 * type names relative to their scope and no `dependency` list, and @grpc/reflection passes them on as
 * they are; strict clients (`buf curl`, `grpcurl`) then cannot resolve `.envoy.config.core.v3.…` and
 * report the service missing. So before handing them over we name map entries as protoc does, make every
 * type reference fully qualified and list, per file, the files it refers to.
 */
import { createRequire } from "node:module";
import type { PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import type * as grpc from "@grpc/grpc-js";

// The descriptor codec of the protobufjs that proto-loader itself used to encode these files.
const fromProtoLoader = createRequire(createRequire(import.meta.url).resolve("@grpc/proto-loader"));

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded descriptor objects (protobufjs ext/descriptor) */
interface Codec {
  decode(bytes: Uint8Array): any;
  encode(message: any): { finish(): Uint8Array };
}

/** `a.b.C` → [`a.b.C`, `a.b`, `a`, ``]: the scopes a relative name is looked up in, innermost first. */
function scopes(scope: string): string[] {
  const out: string[] = [];
  for (let s = scope; s; s = s.includes(".") ? s.slice(0, s.lastIndexOf(".")) : "") out.push(s);
  out.push("");
  return out;
}

/**
 * protobufjs names a map field's entry type after the field (`Fields`); protoc, and every client that
 * checks descriptors, require `<CamelCaseField>Entry` (`FieldsEntry`).
 */
function nameMapEntries(messages: any[] | undefined): void {
  for (const m of messages ?? []) {
    for (const field of m.field ?? []) {
      const entry = (m.nestedType ?? []).find((n: any) => n.options?.mapEntry && n.name === field.typeName);
      if (!entry) continue;
      const camel = String(field.name)
        .split("_")
        .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
        .join("");
      entry.name = `${camel}Entry`;
      field.typeName = entry.name;
    }
    nameMapEntries(m.nestedType);
  }
}

/** Descriptors with fully qualified type names and `dependency` lists, re-encoded. */
export function linkableDescriptors(definition: PackageDefinition): Uint8Array[] {
  const { FileDescriptorProto } = fromProtoLoader("protobufjs/ext/descriptor") as { FileDescriptorProto: Codec };
  const files = new Map<string, any>();
  for (const entry of Object.values(definition)) {
    for (const bytes of (entry as { fileDescriptorProtos?: Uint8Array[] }).fileDescriptorProtos ?? []) {
      const file = FileDescriptorProto.decode(bytes);
      if (!files.has(file.name)) files.set(file.name, file);
    }
  }
  for (const f of files.values()) nameMapEntries(f.messageType);
  // Every message and enum, by full name without the leading dot → the file defining it.
  const owner = new Map<string, string>();
  const index = (prefix: string, messages: any[], enums: any[], file: string): void => {
    for (const e of enums ?? []) owner.set(prefix ? `${prefix}.${e.name}` : e.name, file);
    for (const m of messages ?? []) {
      const full = prefix ? `${prefix}.${m.name}` : m.name;
      owner.set(full, file);
      index(full, m.nestedType, m.enumType, file);
    }
  };
  for (const f of files.values()) index(f.package ?? "", f.messageType, f.enumType, f.name);

  for (const f of files.values()) {
    const deps = new Set<string>();
    // Rewrites obj[key] in place when it names a type; an unset key stays unset (an empty extendee
    // written out would turn a plain field into an extension).
    const qualify = (obj: any, key: string, scope: string): void => {
      const name: string | undefined = obj[key];
      if (!name) return;
      const full = name.startsWith(".")
        ? name.slice(1)
        : scopes(scope)
            .map((s) => (s ? `${s}.${name}` : name))
            .find((c) => owner.has(c));
      const file = full && owner.get(full);
      if (!file) return; // left as it was: a client reports it, we do not guess
      if (file !== f.name) deps.add(file);
      obj[key] = `.${full}`;
    };
    const visit = (scope: string, messages: any[]): void => {
      for (const m of messages ?? []) {
        const full = scope ? `${scope}.${m.name}` : m.name;
        for (const field of [...(m.field ?? []), ...(m.extension ?? [])]) {
          qualify(field, "typeName", full);
          qualify(field, "extendee", full);
        }
        visit(full, m.nestedType);
      }
    };
    visit(f.package ?? "", f.messageType);
    for (const ext of f.extension ?? []) {
      qualify(ext, "typeName", f.package ?? "");
      qualify(ext, "extendee", f.package ?? "");
    }
    for (const s of f.service ?? []) {
      for (const m of s.method ?? []) {
        qualify(m, "inputType", f.package ?? "");
        qualify(m, "outputType", f.package ?? "");
      }
    }
    f.dependency = [...deps].sort();
  }
  return [...files.values()].map((f) => FileDescriptorProto.encode(f).finish());
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Adds grpc.reflection.v1 and v1alpha ServerReflection, describing every service of `definition`. */
export function addReflection(server: grpc.Server, definition: PackageDefinition): void {
  const linked = { gate402: { fileDescriptorProtos: linkableDescriptors(definition) } } as unknown as PackageDefinition;
  new ReflectionService(linked as never).addToServer(server);
}
