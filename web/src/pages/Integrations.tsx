// Store connections: Shopify webhooks, CSV imports, API keys.
import { useCan } from "../auth/session";
import { ApiKeysSection } from "./integrations/ApiKeys";
import { CsvImportSection } from "./integrations/CsvImport";
import { StoresSection } from "./integrations/Stores";

export function IntegrationsPage() {
  const admin = useCan("admin");
  return (
    <section>
      <h1>Integrations</h1>
      <StoresSection />
      <CsvImportSection />
      {/* Keys are listed to owners and admins only. */}
      {admin && <ApiKeysSection />}
    </section>
  );
}
