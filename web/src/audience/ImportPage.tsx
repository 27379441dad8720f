// Importing a file of contacts (to be built).

export function ImportPage({ workspace, id }: { workspace: string; id?: string | undefined }) {
  return (
    <main className="page" data-workspace={workspace} data-import={id}>
      <h1>Import contacts</h1>
    </main>
  );
}
