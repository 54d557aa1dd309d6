/** Splits a byte stream of UTF-8 text into its lines, a batch per block read; `\n` ends a line, and a last line may lack it. */
export async function* lineBatches(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let carry = '';
  for await (const chunk of chunks) {
    const lines = (carry + decoder.decode(chunk, { stream: true })).split('\n');
    carry = lines.pop()!;
    if (lines.length) yield lines;
  }
  const tail = carry + decoder.decode();
  if (tail) yield [tail];
}
