// Broadcast campaigns (to be built).

export function CampaignsPage({ workspace }: { workspace: string }) {
  return (
    <main className="page" data-workspace={workspace}>
      <h1>Campaigns</h1>
    </main>
  );
}
