// Every contact of the workspace, with filters (to be built).

export function ContactsPage({ workspace }: { workspace: string }) {
  return (
    <main className="page" data-workspace={workspace}>
      <h1>Contacts</h1>
    </main>
  );
}
