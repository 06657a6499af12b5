// Build web/dist: one hashed JS bundle, one hashed CSS file and index.html (no inline code:
// the API serves the client under a strict Content-Security-Policy).
import { mkdir, readFile, rm, writeFile, copyFile } from "node:fs/promises";
import { gzipSync, constants } from "node:zlib";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");
const watch = process.argv.includes("--watch");

const options = {
  entryPoints: { app: join(root, "src/main.js") },
  bundle: true,
  format: "esm",
  target: ["es2020"],
  minify: true,
  sourcemap: false,
  legalComments: "none",
  outdir: join(dist, "assets"),
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  logLevel: "warning",
};

async function writeIndex(metafile) {
  const outputs = Object.keys(metafile.outputs).map((path) => basename(path));
  const js = outputs.find((name) => name.endsWith(".js"));
  const css = outputs.find((name) => name.endsWith(".css"));
  const template = await readFile(join(root, "src/index.html"), "utf8");
  const html = template
    .replace("%CSS%", `/assets/${css}`)
    .replace("%JS%", `/assets/${js}`);
  await writeFile(join(dist, "index.html"), html);
  await copyFile(join(root, "src/favicon.svg"), join(dist, "favicon.svg"));
  // Pre-compressed copies: serve/web.py sends them to clients that accept gzip.
  for (const name of [js, css]) {
    const path = join(dist, "assets", name);
    const data = await readFile(path);
    await writeFile(path + ".gz", gzipSync(data, { level: constants.Z_BEST_COMPRESSION }));
  }
  return { js, css };
}

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, "assets"), { recursive: true });
if (watch) {
  const ctx = await esbuild.context({
    ...options,
    plugins: [{ name: "index", setup: (b) => b.onEnd((r) => r.metafile && writeIndex(r.metafile)) }],
  });
  await ctx.watch();
  console.log("watching web/src …");
} else {
  const result = await esbuild.build(options);
  const { js, css } = await writeIndex(result.metafile);
  console.log(`web/dist: index.html, assets/${js}, assets/${css}`);
}
