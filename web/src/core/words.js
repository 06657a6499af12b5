// Counted words for the pages: "1 show", "3 shows", "0 seeders".

/** `n` and the word, made plural unless `n` is exactly 1 (`many` for irregular plurals). */
export function counted(n, word, many = `${word}s`) {
  return `${n} ${n === 1 ? word : many}`;
}
