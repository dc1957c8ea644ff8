export async function renderSection(ctx) {
  ctx.section('render', 'render').skip('render', 'not written yet');
}
