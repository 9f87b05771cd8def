"""Use cases. Each public function is one transaction: it commits once or changes nothing."""
