package webui

func (c *console) profileRoutes() {}
