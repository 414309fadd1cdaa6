import { useEffect } from "react";
import { LoginPage } from "../auth/LoginPage";
import { HomePage } from "./HomePage";
import { StudioPage } from "../studio/StudioPage";
import { ViewerPage } from "../viewer/ViewerPage";
import { Link } from "../ui/Link";
import { useRoute } from "./router";

export function App() {
  const route = useRoute();

  useEffect(() => {
    // Moving between pages puts keyboard and screen-reader focus on the new page's heading.
    const heading = document.querySelector<HTMLElement>("main h1");
    heading?.focus({ preventScroll: true });
  }, [route.name, "showId" in route ? route.showId : null]);

  switch (route.name) {
    case "home":
      return <HomePage />;
    case "login":
      return <LoginPage next={route.next} />;
    case "viewer":
      return <ViewerPage key={route.showId} showId={route.showId} />;
    case "studio":
      return <StudioPage showId={route.showId} />;
    default:
      return (
        <main className="page narrow">
          <h1 tabIndex={-1}>Page not found</h1>
          <p>
            This address does not lead anywhere. <Link to="/">Go to the home page</Link>.
          </p>
        </main>
      );
  }
}
