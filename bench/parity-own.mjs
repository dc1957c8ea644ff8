/**
 * Writes the parity compositions of our own (issue 18; results and the causes of each miss:
 * bench/parity-own.md) into a directory, one project each, for `node bench/parity.mjs --corpus DIR`:
 *
 *   node bench/parity-own.mjs DIR
 *
 * Each is a static 640×360, 1 s page isolating one kind of text HyperFrames users write (a script, a
 * symbol set, emoji) in one generic family. `shorthand` sets the fonts through the `font` shorthand,
 * which HyperFrames leaves to the browser (no Inter put in front of the generic family): offline its
 * Inter is only the embedded Latin subset, so a stack led by Inter would compare against an
 * offline-only fallback.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const COMPOSITIONS = [
  {
    name: 'emoji',
    lang: 'en',
    generic: 'sans-serif',
    shorthand: false,
    body: '<h1>Launch day 🚀✨</h1><p style="font-size:34px">🎬 🔥 👍 ❤️ 😂 🎉 ✅ 📈 🌏 🧠 💡 🇯🇵 👩‍💻</p><div class="b">Ship it 🙌 — done ✔️</div>',
  },
  {
    name: 'ja-chat',
    lang: 'ja',
    generic: 'sans-serif',
    shorthand: false,
    body: '<h1>チャットの記録</h1><div class="b">おはようございます！今日の会議は何時からですか？</div><br><div class="b me">午後三時からです。資料は共有フォルダにあります。</div><br><div class="b">了解しました、ありがとうございます。</div><p>漢字・ひらがな・カタカナ、句読点。「引用」（括弧） → ✓ ★ ♪ ≠ ∞ ┌─┐</p>',
  },
  {
    name: 'ja-in-en',
    lang: 'en',
    generic: 'sans-serif',
    shorthand: false,
    body: '<h1>東京スレッド 🧵</h1><div class="b">新しい機能をリリースしました</div><br><div class="b me">すごい！早速試してみます</div><p>日本語の文章が英語のページにある場合</p>',
  },
  {
    name: 'ja-serif',
    lang: 'ja',
    generic: 'serif',
    shorthand: false,
    body: '<h1>明朝体の見出し</h1><p>吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。</p>',
  },
  {
    name: 'ko',
    lang: 'ko',
    generic: 'sans-serif',
    shorthand: false,
    body: '<h1>한국어 제목입니다</h1><div class="b">안녕하세요! 오늘 회의는 몇 시인가요?</div><br><div class="b me">오후 세 시입니다. 자료를 확인해 주세요.</div>',
  },
  {
    name: 'latin-sans',
    lang: 'en',
    generic: 'sans-serif',
    shorthand: true,
    body: '<h1>The quick brown fox</h1><p>Sphinx of black quartz, judge my vow. Pack my box with five dozen liquor jugs! 0123456789 (a+b)=[c]; "quotes" &amp; \'apostrophes\' — dashes – and… ellipses.</p>',
  },
  {
    name: 'latin-serif',
    lang: 'en',
    generic: 'serif',
    shorthand: true,
    body: '<h1>The quick brown fox</h1><p>Sphinx of black quartz, judge my vow. Pack my box with five dozen liquor jugs! 0123456789 (a+b)=[c]; "quotes" &amp; \'apostrophes\' — dashes – and… ellipses.</p>',
  },
  {
    name: 'latin-mono',
    lang: 'en',
    generic: 'monospace',
    shorthand: true,
    body: '<h1>The quick brown fox</h1><p>Sphinx of black quartz, judge my vow. Pack my box with five dozen liquor jugs! 0123456789 (a+b)=[c]; "quotes" &amp; \'apostrophes\' — dashes – and… ellipses.</p>',
  },
  {
    name: 'weights',
    lang: 'en',
    generic: 'sans-serif',
    shorthand: true,
    body: '<h1>Medium and semibold</h1><p style="font-weight:500">Medium 500: the quick brown fox jumps</p><p style="font-weight:600">SemiBold 600: the quick brown fox jumps</p><p style="font: 500 20px serif">Serif 500: the quick brown fox</p><p style="font: 600 20px monospace">Mono 600: the quick brown fox</p>',
  },
  {
    name: 'latin-ext',
    lang: 'vi',
    generic: 'sans-serif',
    shorthand: true,
    body: '<h1>Tiếng Việt có dấu</h1><p>Xin chào! Đây là bản tin thời sự. Ελληνικά: Καλημέρα κόσμε. Русский: Привет, мир! Polski: Zażółć gęślą jaźń. Türkçe: Çalışkan öğrenci.</p>',
  },
  {
    name: 'rtl',
    lang: 'ar',
    dir: 'rtl',
    generic: 'sans-serif',
    shorthand: true,
    body: '<h1>مرحبا بالعالم</h1><p>هذا نص عربي للاختبار، مع أرقام ١٢٣ وعلامات الترقيم.</p><p dir="rtl" lang="he">שלום עולם! זהו טקסט בעברית.</p>',
  },
  {
    // System names HyperFrames reads only in font-family declarations: in the shorthand they are what
    // Debian answers (Liberation, DejaVu Sans, nothing for Verdana); Georgia in a font-family is its stand-in.
    name: 'system-names',
    lang: 'en',
    generic: 'serif',
    shorthand: true,
    body: [
      'Arial',
      'Helvetica',
      "'DejaVu Sans'",
      "'Liberation Sans'",
      "'Times New Roman'",
      'Times',
      "'Courier New'",
      'Verdana',
      "'Segoe UI'",
    ]
      .map((name) => `<div style="font:22px/28px ${name}, serif">Hamburgefonstiv ${name.replace(/'/g, '')} 0123</div>`)
      .concat('<div style="font-family:Georgia;font-size:22px">Hamburgefonstiv Georgia (a font-family) 0123</div>')
      .join(''),
  },
  {
    name: 'symbols',
    lang: 'en',
    generic: 'sans-serif',
    shorthand: true,
    body: '<h1>Steps → results ▸ next</h1><p>✓ done ✗ failed ★★★☆☆ ♪ ♫ ≠ ≤ ≥ ± × ÷ ∞ ∑ ∫ √ π Ω µ € £ ¥ © ® ™ • … ← ↑ ↓ ⇒</p><pre style="font-size:16px;margin:6px 0">┌──────┬──────┐\n│ A    │ B    │\n└──────┴──────┘</pre>',
  },
  {
    name: 'zh-sc',
    lang: 'zh-CN',
    generic: 'sans-serif',
    shorthand: false,
    body: '<h1>科技新闻快讯</h1><p>人工智能模型发布了新版本，性能提升显著。开发者可以通过接口调用。数据：速度提升百分之四十。</p><div class="b me">关注我们，获取更多资讯 → ✓ ★ ♪ ≠ ∞</div>',
  },
  {
    name: 'zh-tc',
    lang: 'zh-TW',
    generic: 'sans-serif',
    shorthand: false,
    body: '<h1>繁體中文標題</h1><p>臺灣的夜市文化非常豐富，遊客可以品嚐各種小吃。這裡有蚵仔煎、珍珠奶茶與鹽酥雞。</p>',
  },
];

/** The page of one composition. */
function page({ name, lang, dir, generic, shorthand, body }) {
  const root = shorthand ? `font: 16px ${generic}` : `font-family: ${generic}`;
  const h1 = shorthand ? `font: 700 30px ${generic}; margin: 0 0 8px;` : 'font-size: 30px; margin: 0 0 8px; font-weight: 700;';
  const p = shorthand ? `font: 20px/1.35 ${generic}; margin: 0;` : 'font-size: 20px; margin: 0; line-height: 1.35;';
  return `<!doctype html>
<html lang="${lang}"${dir ? ` dir="${dir}"` : ''}>
<head>
<meta charset="utf-8">
<style>
  html, body { margin: 0; width: 640px; height: 360px; overflow: hidden; background: #f4f1ea; }
  #root { position: relative; width: 640px; height: 360px; ${root}; color: #1d1d1f; }
  .clip { position: absolute; left: 28px; right: 28px; }
  .b { display: inline-block; padding: 8px 14px; border-radius: 14px; background: #fff; box-shadow: 0 2px 6px rgba(0,0,0,.15); margin: 4px 0; }
  .me { background: #4f8cff; color: #fff; }
  h1 { ${h1} }
  p { ${p} }
</style>
</head>
<body>
<div id="root" data-composition-id="${name}" data-width="640" data-height="360" data-duration="1" data-fps="10" data-no-timeline>
  <div class="clip" style="top: 20px" data-start="0" data-duration="1" data-track-index="0">
${body}
  </div>
</div>
</body>
</html>
`;
}

const out = process.argv[2];
if (!out) {
  console.error('usage: node bench/parity-own.mjs DIR');
  process.exit(2);
}
for (const composition of COMPOSITIONS) {
  const dir = path.join(out, composition.name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'index.html'), page(composition));
}
console.log(`${COMPOSITIONS.length} compositions written under ${out}`);
