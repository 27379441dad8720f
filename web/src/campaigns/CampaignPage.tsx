// One campaign and its progress (to be built).

export function CampaignPage({ workspace, id }: { workspace: string; id: string }) {
  return (
    <main className="page" data-workspace={workspace} data-campaign={id}>
      <h1>Campaign</h1>
    </main>
  );
}
