// Routes. Signed-out visitors see only log in and sign up; the live stream opens once signed in.
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { SessionProvider, useSession } from "./auth/session";
import { Layout } from "./components/Layout";
import { Loading } from "./components/Status";
import { LiveProvider } from "./live/live";
import { ActivityPage } from "./pages/Activity";
import { AnalyticsPage } from "./pages/Analytics";
import { LoginPage, SignupPage } from "./pages/Auth";
import { CustomerPage, CustomersPage } from "./pages/Customers";
import { InboxPage } from "./pages/Inbox";
import { IntegrationsPage } from "./pages/Integrations";
import { KnowledgePage } from "./pages/Knowledge";
import { OnboardingPage } from "./pages/Onboarding";
import { ScheduledPage } from "./pages/Scheduled";
import { SimulatorPage } from "./pages/Simulator";
import { TeamPage } from "./pages/Team";
import { TemplatesPage } from "./pages/Templates";
import { WhatsAppPage } from "./pages/WhatsApp";

function Routed() {
  const { session, checked } = useSession();
  if (!checked) return <Loading what="your account" />;
  if (!session) {
    return (
      <Routes>
        <Route path="/signup" element={<SignupPage />} />
        <Route path="*" element={<LoginPage />} />
      </Routes>
    );
  }
  return (
    <LiveProvider>
      <Routes>
        <Route element={<Layout />}>
          <Route index element={<OnboardingPage />} />
          <Route path="integrations" element={<IntegrationsPage />} />
          <Route path="whatsapp" element={<WhatsAppPage />} />
          <Route path="templates" element={<TemplatesPage />} />
          <Route path="knowledge" element={<KnowledgePage />} />
          <Route path="inbox" element={<InboxPage />} />
          <Route path="inbox/:id" element={<InboxPage />} />
          <Route path="customers" element={<CustomersPage />} />
          <Route path="customers/:id" element={<CustomerPage />} />
          <Route path="scheduled" element={<ScheduledPage />} />
          <Route path="analytics" element={<AnalyticsPage />} />
          <Route path="activity" element={<ActivityPage />} />
          <Route path="simulator" element={<SimulatorPage />} />
          <Route path="team" element={<TeamPage />} />
          <Route path="login" element={<Navigate to="/" replace />} />
          <Route path="signup" element={<Navigate to="/" replace />} />
          <Route path="*" element={<p>No such page.</p>} />
        </Route>
      </Routes>
    </LiveProvider>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <SessionProvider>
        <Routed />
      </SessionProvider>
    </BrowserRouter>
  );
}
