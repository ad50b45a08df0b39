/**
 * TXT record text in DNS presentation format, as the DNS providers write and read it: UTF-8 bytes in quoted
 * strings of at most 255 bytes each, `"` and `\` escaped with a backslash, bytes outside printable ASCII as a
 * three-digit `\ddd` escape. Providers differ only in the escape's base: Route 53 answers in octal, Cloud DNS
 * follows RFC 1035 (decimal).
 */

/** Base of the `\ddd` byte escapes. */
export type TxtEscapeBase = 8 | 10;

const MAX_TXT_CHUNK = 255;

/** Text → one or more quoted strings (`""` for empty text). */
export function quoteTxtIn(text: string, base: TxtEscapeBase): string {
  const bytes = Buffer.from(text, 'utf8');
  const strings: string[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += MAX_TXT_CHUNK) {
    let out = '';
    for (const b of bytes.subarray(i, i + MAX_TXT_CHUNK)) {
      if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
      else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
      else out += `\\${b.toString(base).padStart(3, '0')}`;
    }
    strings.push(`"${out}"`);
  }
  return strings.join(' ');
}

/** One or more quoted strings → text, their contents joined. A value without quotes is returned as it is. */
export function unquoteTxtIn(value: string, base: TxtEscapeBase): string {
  const strings = value.match(/"((?:[^"\\]|\\.)*)"/g);
  if (!strings) return value;
  const bytes: number[] = [];
  for (const quoted of strings) {
    const body = quoted.slice(1, -1);
    for (let i = 0; i < body.length; i += 1) {
      const ch = body[i] as string;
      if (ch === '\\' && /^\d{3}$/.test(body.slice(i + 1, i + 4))) {
        bytes.push(parseInt(body.slice(i + 1, i + 4), base) & 0xff);
        i += 3;
      } else if (ch === '\\' && i + 1 < body.length) {
        bytes.push(...Buffer.from(body[i + 1] as string, 'utf8'));
        i += 1;
      } else {
        bytes.push(...Buffer.from(ch, 'utf8'));
      }
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
