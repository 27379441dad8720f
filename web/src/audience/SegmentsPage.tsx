// Saved audiences (to be built).

export function SegmentsPage({ workspace, id }: { workspace: string; id?: string | undefined }) {
  return (
    <main className="page" data-workspace={workspace} data-segment={id}>
      <h1>Segments</h1>
    </main>
  );
}
