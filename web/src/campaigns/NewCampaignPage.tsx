// Making a campaign, with its pre-flight (to be built).

export function NewCampaignPage({ workspace }: { workspace: string }) {
  return (
    <main className="page" data-workspace={workspace}>
      <h1>New campaign</h1>
    </main>
  );
}
