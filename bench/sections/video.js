export async function videoSection(ctx) {
  ctx.section('video', 'video').skip('video', 'not written yet');
}
