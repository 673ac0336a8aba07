"""Reading and running `.ipynb` files, and nothing about grades: the cells and
nbgrader metadata of course notebooks (`cells`), defensive reading of submissions
(`program`), nbgrader's scoring rule (`scoring`), running real kernels (`kernel`) and a
student's check of their own notebook (`selfcheck`)."""
